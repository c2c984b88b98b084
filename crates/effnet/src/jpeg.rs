//! Reading a JPEG's structure without decoding it (shared by the CLI and the page, which decode
//! differently): is it complete, its Exif data.

/// Whether a JPEG's last scan is followed by its end-of-image marker. Decoders fill in a
/// truncated JPEG with grey; Pillow refuses it, and so do we. Entropy-coded data cannot hold
/// `FF D9` (an `FF` there is always stuffed as `FF 00`), so an EOI after the last start-of-scan
/// (`FF DA`) means the image data is complete.
pub fn is_complete(bytes: &[u8]) -> bool {
    let marker = |m: u8| bytes.windows(2).rposition(|w| w[0] == 0xFF && w[1] == m);
    match (marker(0xDA), marker(0xD9)) {
        (Some(sos), Some(eoi)) => eoi > sos,
        _ => false,
    }
}

/// The TIFF data of the first Exif APP1 segment (after its `Exif\0\0` tag), where the
/// orientation is; the first one counts, as in Pillow.
pub fn exif(bytes: &[u8]) -> Option<&[u8]> {
    header_segments(bytes)
        .find(|(marker, s)| *marker == 0xE1 && s.starts_with(b"Exif\0"))
        .and_then(|(_, s)| s.get(6..))
}

/// The marker segments between the start of image and the first scan: (marker, payload after
/// the length field). Fill bytes and stray bytes before a marker are skipped, as decoders do. A
/// segment cut off by the end of `bytes` gives what there is of it (the page reads image sizes
/// from a file's first bytes only).
pub(crate) fn header_segments(bytes: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut at = 2;
    std::iter::from_fn(move || {
        loop {
            while *bytes.get(at)? != 0xFF {
                at += 1;
            }
            while *bytes.get(at)? == 0xFF {
                at += 1;
            }
            let marker = *bytes.get(at)?;
            at += 1;
            match marker {
                // FF 00 is not a marker (libjpeg skips it as stray data); TEM and RSTn stand
                // alone, without a length
                0x00 | 0x01 | 0xD0..=0xD7 => continue,
                // SOI, EOI, SOS: no header segments after these
                0xD8..=0xDA => return None,
                _ => {
                    let len = u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]) as usize;
                    let payload = bytes.get(at + 2..(at + len.max(2)).min(bytes.len()))?;
                    at += len.max(2);
                    return Some((marker, payload));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{exif, is_complete};

    #[test]
    fn jpeg_completeness() {
        assert!(is_complete(&[
            0xFF, 0xD8, 0xFF, 0xDA, 1, 0xFF, 0x00, 2, 0xFF, 0xD9
        ]));
        assert!(is_complete(&[
            0xFF, 0xD8, 0xFF, 0xDA, 1, 0xFF, 0xD9, 0, 0, 0
        ]));
        assert!(!is_complete(&[0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xDA, 1, 2, 3]));
        assert!(!is_complete(&[0xFF, 0xD8, 0xFF, 0xDA, 1, 2]));
    }

    #[test]
    fn exif_after_other_segments() {
        let mut b = vec![0xFF, 0xD8];
        b.extend([0xFF, 0xE0, 0, 4, b'J', b'F']); // APP0
        b.extend([0xFF, 0x00, 0x17]); // stray bytes, not a marker
        b.extend([0xFF, 0xE1, 0, 12]); // APP1 Exif with a 4-byte TIFF header
        b.extend(b"Exif\0\0II*\0");
        b.extend([0xFF, 0xE1, 0, 12]); // a second one does not count
        b.extend(b"Exif\0\0MM\0*");
        b.extend([0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        assert_eq!(exif(&b), Some(&b"II*\0"[..]));
        assert_eq!(exif(&b[..20]), None);
        // none after the start of scan
        let mut late = vec![0xFF, 0xD8, 0xFF, 0xDA, 0, 2];
        late.extend(&b[2..]);
        assert_eq!(exif(&late), None);
    }
}
