//! What an image file is and how many pixels it holds, read from its first bytes before any
//! decoding: the page refuses a picture above its pixel budget without ever allocating it (a
//! 500 KB PNG can claim 23000×23000 pixels, 2 GB once decoded), and names formats it cannot
//! decode (HEIC, TIFF) instead of calling them corrupt.
//!
//! Every reader works on a prefix of the file and never panics, whatever the bytes (a property
//! test feeds it mutated and random files): a size it cannot find within the prefix is `None`.

/// The formats the readers recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    WebP,
    Bmp,
    Avif,
    /// HEIC/HEIF (iPhone photos): most browsers cannot decode it.
    Heic,
    Tiff,
    Svg,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Gif => "GIF",
            Format::WebP => "WebP",
            Format::Bmp => "BMP",
            Format::Avif => "AVIF",
            Format::Heic => "HEIC",
            Format::Tiff => "TIFF",
            Format::Svg => "SVG",
        }
    }
}

/// A file's format and, when its header says, its width and height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: Format,
    pub size: Option<(u32, u32)>,
}

impl Header {
    /// Pixels the header claims (0 when unknown).
    pub fn pixels(&self) -> u64 {
        self.size.map_or(0, |(w, h)| w as u64 * h as u64)
    }
}

/// The format and size of the image whose first bytes are `head` (`None`: not a format above).
pub fn read(head: &[u8]) -> Option<Header> {
    let format = format(head)?;
    let size = match format {
        Format::Jpeg => jpeg_size(head),
        Format::Png => png_size(head),
        Format::Gif => Some((u16le(head, 6)? as u32, u16le(head, 8)? as u32)),
        Format::WebP => webp_size(head),
        Format::Bmp => bmp_size(head),
        Format::Avif | Format::Heic => isobmff_size(head),
        Format::Tiff | Format::Svg => None,
    };
    Some(Header { format, size })
}

fn format(b: &[u8]) -> Option<Format> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Format::Jpeg);
    }
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Format::Png);
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some(Format::Gif);
    }
    if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        return Some(Format::WebP);
    }
    if b.starts_with(b"BM") && b.len() >= 26 {
        return Some(Format::Bmp);
    }
    if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        return Some(Format::Tiff);
    }
    if b.len() >= 12 && &b[4..8] == b"ftyp" {
        return isobmff_brand(b);
    }
    if is_svg(b) {
        return Some(Format::Svg);
    }
    None
}

fn u16le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u16be(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u32be(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u24le(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(s[0] as u32 | (s[1] as u32) << 8 | (s[2] as u32) << 16)
}

/// PNG: the IHDR chunk comes first.
fn png_size(b: &[u8]) -> Option<(u32, u32)> {
    (b.get(12..16)? == b"IHDR").then_some(())?;
    Some((u32be(b, 16)?, u32be(b, 20)?))
}

/// JPEG: the frame header (SOF0…SOF15 but DHT, JPG, DAC) before the first scan.
fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    let (_, frame) = crate::jpeg::header_segments(b)
        .find(|&(m, _)| matches!(m, 0xC0..=0xCF) && !matches!(m, 0xC4 | 0xC8 | 0xCC))?;
    // precision (1 byte), height, width
    Some((u16be(frame, 3)? as u32, u16be(frame, 1)? as u32))
}

/// WebP: lossy (VP8), lossless (VP8L) or extended (VP8X) first chunk.
fn webp_size(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        b"VP8 " => {
            (b.get(23..26)? == [0x9D, 0x01, 0x2A]).then_some(())?;
            Some((
                (u16le(b, 26)? & 0x3FFF) as u32,
                (u16le(b, 28)? & 0x3FFF) as u32,
            ))
        }
        b"VP8L" => {
            (*b.get(20)? == 0x2F).then_some(())?;
            let bits = u32le(b, 21)?;
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Some((u24le(b, 24)? + 1, u24le(b, 27)? + 1)),
        _ => None,
    }
}

/// BMP: the DIB header after the 14-byte file header (OS/2 core headers have 16-bit sizes;
/// a negative height means top-down rows).
fn bmp_size(b: &[u8]) -> Option<(u32, u32)> {
    if u32le(b, 14)? == 12 {
        return Some((u16le(b, 18)? as u32, u16le(b, 20)? as u32));
    }
    let w = u32le(b, 18)? as i32;
    let h = u32le(b, 22)? as i32;
    Some((w.unsigned_abs(), h.unsigned_abs()))
}

/// AVIF or HEIC, from the `ftyp` box's major and compatible brands.
fn isobmff_brand(b: &[u8]) -> Option<Format> {
    let size = (u32be(b, 0)? as usize).clamp(16, b.len().min(256));
    let brands: Vec<&[u8]> = std::iter::once(b.get(8..12)?)
        .chain(b.get(16..size)?.chunks_exact(4))
        .collect();
    if brands.iter().any(|&x| x == b"avif" || x == b"avis") {
        Some(Format::Avif)
    } else if brands.iter().any(|&x| {
        matches!(
            x,
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1"
        )
    }) {
        Some(Format::Heic)
    } else {
        None
    }
}

/// AVIF/HEIC: the largest `ispe` (image spatial extents) property in meta/iprp/ipco.
fn isobmff_size(b: &[u8]) -> Option<(u32, u32)> {
    let meta = find_box(b, b"meta")?;
    let iprp = find_box(meta.get(4..)?, b"iprp")?; // meta is a full box: version + flags first
    let ipco = find_box(iprp, b"ipco")?;
    let mut best: Option<(u32, u32)> = None;
    let mut rest = ipco;
    while let Some((kind, body, next)) = next_box(rest) {
        if kind == b"ispe" {
            let size = (u32be(body, 4)?, u32be(body, 8)?);
            if best.is_none_or(|(w, h)| (size.0 as u64 * size.1 as u64) > w as u64 * h as u64) {
                best = Some(size);
            }
        }
        rest = next;
    }
    best
}

/// The first box of type `kind` among the boxes of `b`: its body.
fn find_box<'a>(mut b: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    while let Some((k, body, next)) = next_box(b) {
        if k == kind {
            return Some(body);
        }
        b = next;
    }
    None
}

/// Splits the box at the start of `b`: (type, body, what follows). A box running past the end of
/// `b` (a prefix of the file) is cut at the end.
fn next_box(b: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let size = u32be(b, 0)? as u64;
    let kind = b.get(4..8)?;
    let (header, size) = match size {
        0 => (8, b.len() as u64),
        1 => (16, u32be(b, 8)? as u64 * (1 << 32) + u32be(b, 12)? as u64),
        s => (8, s),
    };
    if size < header as u64 {
        return None;
    }
    let end = size.min(b.len() as u64) as usize;
    Some((kind, b.get(header..end)?, &b[end..]))
}

/// SVG: text whose first element is `<svg` (after an XML declaration, comments, a doctype).
fn is_svg(b: &[u8]) -> bool {
    let head = &b[..b.len().min(4096)];
    let Ok(text) = std::str::from_utf8(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head))
        .or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]))
    else {
        return false;
    };
    let text = text.trim_start();
    (text.starts_with("<?xml")
        || text.starts_with("<!--")
        || text.starts_with("<!DOCTYPE")
        || text.starts_with("<svg"))
        && text.contains("<svg")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 2, 0, 0, 0]);
        b
    }

    #[test]
    fn png_header() {
        assert_eq!(
            read(&png(23000, 23000)),
            Some(Header {
                format: Format::Png,
                size: Some((23000, 23000))
            })
        );
        assert_eq!(read(&png(1, 1)).unwrap().pixels(), 1);
        assert_eq!(read(&png(23000, 23000)).unwrap().pixels(), 529_000_000);
    }

    #[test]
    fn jpeg_header_after_app_segments_and_fill_bytes() {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        b.extend([0u8; 14]);
        b.extend([0xFF, 0xFF, 0xC2, 0, 17, 8]); // fill byte, progressive SOF2
        b.extend(65000u16.to_be_bytes()); // height
        b.extend(640u16.to_be_bytes()); // width
        assert_eq!(read(&b).unwrap().size, Some((640, 65000)));
        // DHT (C4) is not a frame header; a scan before any frame header gives no size.
        let b = [0xFF, 0xD8, 0xFF, 0xC4, 0, 2, 0xFF, 0xDA, 0, 2];
        assert_eq!(
            read(&b),
            Some(Header {
                format: Format::Jpeg,
                size: None
            })
        );
    }

    #[test]
    fn gif_webp_bmp_headers() {
        let mut gif = b"GIF89a".to_vec();
        gif.extend([0x10, 0x27, 0x20, 0x4E]);
        assert_eq!(read(&gif).unwrap().size, Some((10000, 20000)));

        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend([0xFF, 0x3F, 0, 0x7F, 0x1F, 0]); // 16384 × 8064
        assert_eq!(read(&vp8x).unwrap().size, Some((16384, 8064)));
        let mut vp8l = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
        let bits: u32 = (640 - 1) | ((427 - 1) << 14);
        vp8l.extend(bits.to_le_bytes());
        assert_eq!(read(&vp8l).unwrap().size, Some((640, 427)));
        let mut vp8 = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
        vp8.extend(800u16.to_le_bytes());
        vp8.extend(600u16.to_le_bytes());
        assert_eq!(read(&vp8).unwrap().size, Some((800, 600)));

        let mut bmp = b"BM".to_vec();
        bmp.extend([0u8; 12]);
        bmp.extend(40u32.to_le_bytes());
        bmp.extend(300i32.to_le_bytes());
        bmp.extend((-200i32).to_le_bytes());
        assert_eq!(read(&bmp).unwrap().size, Some((300, 200)));
    }

    /// An ISO-BMFF box: size, type, body.
    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        [&(8 + body.len() as u32).to_be_bytes()[..], kind, body].concat()
    }

    #[test]
    fn avif_and_heic_from_brands_and_ispe() {
        let ispe = |w: u32, h: u32| {
            bx(
                b"ispe",
                &[&[0u8; 4][..], &w.to_be_bytes(), &h.to_be_bytes()].concat(),
            )
        };
        let meta = bx(
            b"meta",
            &[
                &[0u8; 4][..],
                &bx(
                    b"iprp",
                    &bx(b"ipco", &[ispe(512, 512), ispe(4032, 3024)].concat()),
                ),
            ]
            .concat(),
        );
        let file = |brand: &[u8; 4]| {
            [
                bx(b"ftyp", &[&brand[..], &[0u8; 4], b"mif1"].concat()),
                meta.clone(),
            ]
            .concat()
        };
        assert_eq!(
            read(&file(b"avif")),
            Some(Header {
                format: Format::Avif,
                size: Some((4032, 3024))
            })
        );
        assert_eq!(
            read(&file(b"heic")),
            Some(Header {
                format: Format::Heic,
                size: Some((4032, 3024))
            })
        );
        assert_eq!(read(&file(b"isom")).map(|h| h.format), Some(Format::Heic)); // mif1 compatible
    }

    #[test]
    fn svg_tiff_and_others() {
        assert_eq!(
            read(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>")
                .unwrap()
                .format,
            Format::Svg
        );
        assert_eq!(
            read(b"  <svg width=\"10\"></svg>").unwrap().format,
            Format::Svg
        );
        assert_eq!(read(b"II*\0\x08\0\0\0").unwrap().format, Format::Tiff);
        assert_eq!(read(b"<html><body>not an image</body></html>"), None);
        assert_eq!(read(b""), None);
        assert_eq!(read(b"hello, this is text"), None);
    }
}
