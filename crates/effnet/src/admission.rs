//! Which pictures the page takes, decided before anything is decoded: the file's size, then
//! what its header ([`crate::image_header`]) claims. A file that is too large is refused before
//! a byte of it is read, a picture that claims too many pixels before it is decoded (a 500 KB
//! PNG can claim 23000×23000 pixels, 2 GB once decoded), and a large picture under the limit is
//! read at a reduced size. Pure rules, so native tests reach them; the page's decoder
//! (`src/app/platform/image`) follows them.

use serde::{Deserialize, Serialize};

use crate::image_header::{Format, Header};

/// Files above this size are refused before a byte of them is read (a photo is rarely above
/// 30 MB; a larger file would be copied into the page's memory before it could be judged).
pub const MAX_FILE_BYTES: u64 = 100_000_000;
/// Pictures whose header claims more pixels than this are refused before decoding; 8000×8000
/// (64 MP) is still read (scaled down).
pub const MAX_DECODE_PIXELS: u64 = 64_000_000;
/// Pictures with a side or a pixel count beyond these are read scaled down (an 8000×8000 photo
/// would need 256 MB as RGBA). Ordinary photos (12 MP, 4032×3024) are below both and are read
/// exactly as decoded.
pub const MAX_SIDE: u32 = 4096;
pub const MAX_PIXELS: u64 = 4096 * 4096;
/// How much of a file is read to find its format and size.
pub const HEAD_BYTES: u64 = 256 * 1024;

/// Width and height in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl Size {
    pub fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }

    pub fn pixels(self) -> u64 {
        self.width as u64 * self.height as u64
    }
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}×{}", self.width, self.height)
    }
}

/// Why a picture is not taken. The message (`Display`) says what the visitor can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// A file of 0 bytes.
    Empty,
    /// A file over [`MAX_FILE_BYTES`].
    TooLarge { bytes: u64 },
    /// A header that claims a side of 0 pixels, or a decoded picture without pixels.
    NoPixels { size: Size },
    /// A header that claims more than [`MAX_DECODE_PIXELS`].
    TooManyPixels { size: Size },
    /// A JPEG that ends before its image data does.
    TruncatedJpeg,
    /// The browser could not decode it: `format` is what the header said (none: not a format
    /// we know), `detail` the browser's own words.
    Undecodable {
        format: Option<Format>,
        detail: String,
    },
    /// Decoded, but too large to scale down here (the browser's words).
    NoReducedCopy { size: Size, detail: String },
    /// The file could not be read (the browser's words).
    Unreadable { detail: String },
}

fn megabytes(bytes: u64) -> String {
    if bytes >= 1_000_000_000 {
        format!("{:.2} GB", bytes as f64 / 1e9)
    } else {
        format!("{:.0} MB", bytes as f64 / 1e6)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Empty => write!(f, "the file is empty (0 bytes)"),
            Refusal::TooLarge { bytes } => write!(
                f,
                "the file is {}; the limit is {} (an image that large is not needed: the networks see at most 600×600 pixels)",
                megabytes(*bytes),
                megabytes(MAX_FILE_BYTES)
            ),
            Refusal::NoPixels { size } => write!(f, "the image is {size}: it has no pixels"),
            Refusal::TooManyPixels { size } => write!(
                f,
                "{size} is {:.0} MP; the limit is {} MP (scale the picture down first)",
                size.pixels() as f64 / 1e6,
                MAX_DECODE_PIXELS / 1_000_000
            ),
            Refusal::TruncatedJpeg => {
                write!(
                    f,
                    "this JPEG is truncated (it ends before its image data does)"
                )
            }
            Refusal::Undecodable { format, detail } => match format {
                Some(Format::Heic) => write!(
                    f,
                    "HEIC photos (the iPhone's format) can't be decoded by this browser: export or share the photo as JPEG (on an iPhone: Settings › Camera › Formats › Most Compatible)"
                ),
                Some(Format::Tiff) => write!(
                    f,
                    "TIFF images can't be decoded by this browser: save the picture as JPEG or PNG"
                ),
                Some(Format::Svg) => {
                    write!(f, "this SVG could not be drawn by the browser: {detail}")
                }
                Some(other) => write!(
                    f,
                    "this {} file can't be decoded: it may be damaged or of an unusual kind (the browser says: {detail})",
                    other.name()
                ),
                // The browser's words ("InvalidStateError: The source image could not be
                // decoded.") say nothing a visitor can use: left out.
                None => write!(
                    f,
                    "this is not a picture this browser can read: it may be a text or other kind of file, or a damaged image. Choose a JPEG, PNG, WebP, GIF or AVIF photo"
                ),
            },
            Refusal::NoReducedCopy { size, detail } => write!(
                f,
                "the image is {size}, too large to scale down here: {detail}"
            ),
            Refusal::Unreadable { detail } => write!(f, "cannot read the file: {detail}"),
        }
    }
}

/// How to read a picture the header let through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Decode straight to this reduced size (the header says the picture is large).
    pub read_at: Option<Size>,
    /// A JPEG read at its own size: check that its data is complete first (a browser draws a
    /// truncated JPEG's missing rows grey without a word).
    pub check_jpeg_end: bool,
}

/// The first rule: the file's size, before a byte of it is read.
pub fn check_file(bytes: u64) -> Result<(), Refusal> {
    match bytes {
        0 => Err(Refusal::Empty),
        b if b > MAX_FILE_BYTES => Err(Refusal::TooLarge { bytes: b }),
        _ => Ok(()),
    }
}

/// The second rule: what the header claims (`None`: no header we know, or no size in it; the
/// browser then decides, and [`reduced_size`] applies to what it decodes).
pub fn check_header(header: Option<Header>) -> Result<Plan, Refusal> {
    let Some(Header {
        format,
        size: Some((width, height)),
    }) = header
    else {
        return Ok(Plan {
            read_at: None,
            check_jpeg_end: false,
        });
    };
    let size = Size::new(width, height);
    if width == 0 || height == 0 {
        return Err(Refusal::NoPixels { size });
    }
    if size.pixels() > MAX_DECODE_PIXELS {
        return Err(Refusal::TooManyPixels { size });
    }
    let read_at = reduced_size(size);
    Ok(Plan {
        read_at,
        check_jpeg_end: format == Format::Jpeg && read_at.is_none(),
    })
}

/// The size to read a picture of `size` at, when it is beyond [`MAX_SIDE`] or [`MAX_PIXELS`]
/// (the aspect ratio kept, each side at least 1); `None` when it is read as it is.
pub fn reduced_size(size: Size) -> Option<Size> {
    let (w, h) = (size.width as f64, size.height as f64);
    let scale = (MAX_SIDE as f64 / w.max(h)).min((MAX_PIXELS as f64 / (w * h)).sqrt());
    (scale < 1.0).then(|| {
        Size::new(
            ((w * scale).floor() as u32).max(1),
            ((h * scale).floor() as u32).max(1),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(format: Format, w: u32, h: u32) -> Option<Header> {
        Some(Header {
            format,
            size: Some((w, h)),
        })
    }

    #[test]
    fn file_size_is_judged_first() {
        assert_eq!(check_file(0), Err(Refusal::Empty));
        assert_eq!(check_file(1), Ok(()));
        assert_eq!(check_file(MAX_FILE_BYTES), Ok(()));
        assert_eq!(
            check_file(MAX_FILE_BYTES + 1),
            Err(Refusal::TooLarge {
                bytes: MAX_FILE_BYTES + 1
            })
        );
        assert!(
            Refusal::TooLarge { bytes: 150_000_000 }
                .to_string()
                .starts_with("the file is 150 MB; the limit is 100 MB")
        );
    }

    #[test]
    fn the_pixel_budget_refuses_before_decoding() {
        let bomb = check_header(header(Format::Png, 23000, 23000));
        assert_eq!(
            bomb,
            Err(Refusal::TooManyPixels {
                size: Size::new(23000, 23000)
            })
        );
        assert_eq!(
            bomb.unwrap_err().to_string(),
            "23000×23000 is 529 MP; the limit is 64 MP (scale the picture down first)"
        );
        assert_eq!(
            check_header(header(Format::Gif, 0, 10)),
            Err(Refusal::NoPixels {
                size: Size::new(0, 10)
            })
        );
        // 8000×8000 is exactly the budget: read, scaled down to 4096 a side.
        let plan = check_header(header(Format::Png, 8000, 8000)).unwrap();
        assert_eq!(plan.read_at, Some(Size::new(4096, 4096)));
        assert!(!plan.check_jpeg_end);
    }

    #[test]
    fn ordinary_photos_are_read_as_they_are() {
        let plan = check_header(header(Format::Jpeg, 4032, 3024)).unwrap();
        assert_eq!(plan.read_at, None);
        assert!(
            plan.check_jpeg_end,
            "a JPEG read whole is checked for its end"
        );
        let unknown = check_header(None).unwrap();
        assert_eq!((unknown.read_at, unknown.check_jpeg_end), (None, false));
        let no_size = check_header(Some(Header {
            format: Format::Svg,
            size: None,
        }))
        .unwrap();
        assert_eq!(no_size.read_at, None);
    }

    #[test]
    fn reduced_sizes_keep_the_aspect_and_the_limits() {
        assert_eq!(reduced_size(Size::new(4096, 4096)), None);
        assert_eq!(reduced_size(Size::new(4032, 3024)), None);
        // Too long a side: scaled to 4096.
        assert_eq!(
            reduced_size(Size::new(8192, 1000)),
            Some(Size::new(4096, 500))
        );
        // Too many pixels with short sides cannot happen below MAX_SIDE² = MAX_PIXELS; a
        // panorama far beyond keeps at least one pixel a side.
        assert_eq!(
            reduced_size(Size::new(1_000_000, 1)),
            Some(Size::new(4096, 1))
        );
        for (w, h) in [(5000, 3000), (4097, 4097), (60000, 900), (7000, 9000)] {
            let r = reduced_size(Size::new(w, h)).unwrap();
            assert!(r.width <= MAX_SIDE && r.height <= MAX_SIDE, "{w}×{h} → {r}");
            assert!(r.pixels() <= MAX_PIXELS, "{w}×{h} → {r}");
            let (a, b) = (w as f64 / h as f64, r.width as f64 / r.height as f64);
            assert!((a - b).abs() / a < 0.01 || r.height == 1, "{w}×{h} → {r}");
        }
    }

    #[test]
    fn undecodable_formats_are_named() {
        let heic = Refusal::Undecodable {
            format: Some(Format::Heic),
            detail: "x".into(),
        };
        assert!(heic.to_string().starts_with("HEIC photos"));
        let text = Refusal::Undecodable {
            format: None,
            detail: "InvalidStateError: The source image could not be decoded.".into(),
        };
        let words = text.to_string();
        assert!(words.starts_with("this is not a picture this browser can read"));
        assert!(!words.contains("InvalidStateError"), "{words}");
    }
}
