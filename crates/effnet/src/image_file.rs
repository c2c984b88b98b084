//! Reading image files: the CLI's decoder (the page leaves decoding to the browser, whose
//! libjpeg-turbo gives the same JPEG pixels).
//!
//! Natively (feature `libjpeg-turbo`, part of `native`) JPEGs are decoded by libjpeg-turbo with
//! Pillow's settings, so the CLI sees the RGB PyTorch's pipelines see, byte for byte
//! (tests/jpeg_pillow.rs); without it by the `image` crate (zune-jpeg), whose pixels differ
//! from libjpeg-turbo's by a few levels. Other formats: the `image` crate, exact
//! for PNG (alpha dropped, the colour under transparent pixels kept, as `convert("RGB")` does).

use std::path::Path;

#[cfg(all(feature = "libjpeg-turbo", not(target_arch = "wasm32")))]
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::preprocess::RgbImage;

/// Decodes an image file into RGB (EXIF orientation applied, alpha dropped), or says plainly
/// what is wrong with it: empty, not an image, truncated or corrupt, too large.
pub fn read_image(path: &Path) -> Result<RgbImage, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    decode_image(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// As [`read_image`], from the file's bytes.
pub fn decode_image(bytes: &[u8]) -> Result<RgbImage, String> {
    if bytes.is_empty() {
        return Err("the file is empty (0 bytes)".into());
    }
    let format =
        image::guess_format(bytes).map_err(|_| "not an image (unrecognised format)".to_string())?;
    if format == ImageFormat::Jpeg && !crate::jpeg::is_complete(bytes) {
        return Err("cannot be decoded as Jpeg: the file is truncated (no end-of-image marker after the image data)".into());
    }
    #[cfg(all(feature = "libjpeg-turbo", not(target_arch = "wasm32")))]
    if format == ImageFormat::Jpeg {
        return decode_jpeg(bytes);
    }
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    // image's default limits: 512 MiB of decoded pixels at most.
    reader.limits(Limits::default());
    let cannot = |e: image::ImageError| {
        format!("cannot be decoded as {format:?} (truncated or corrupt?): {e}")
    };
    let mut decoder = reader.into_decoder().map_err(cannot)?;
    // `from_decoder` allocates the whole picture without asking the limits (`ImageReader::decode`
    // does ask): a few mutated bytes claiming a huge size made it allocate gigabytes.
    Limits::default()
        .reserve(decoder.total_bytes())
        .map_err(cannot)?;
    let orientation = decoder.orientation().ok();
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(cannot)?;
    if let Some(orientation) = orientation {
        decoded.apply_orientation(orientation);
    }
    let rgb = decoded.to_rgb8();
    let (w, h) = rgb.dimensions();
    RgbImage::new(w as usize, h as usize, rgb.into_raw()).map_err(|e| e.to_string())
}

/// A JPEG by libjpeg-turbo, then its EXIF orientation applied (as `image` does for the other
/// formats, and tools/lite_reference.py with `ImageOps.exif_transpose`).
#[cfg(all(feature = "libjpeg-turbo", not(target_arch = "wasm32")))]
fn decode_jpeg(bytes: &[u8]) -> Result<RgbImage, String> {
    let max_bytes = Limits::default().max_alloc.unwrap_or(u64::MAX);
    let (width, height, pixels) = crate::libjpeg_turbo::decode(bytes, max_bytes)
        .map_err(|e| format!("cannot be decoded as Jpeg (truncated or corrupt?): {e}"))?;
    let rgb = image::RgbImage::from_raw(width as u32, height as u32, pixels)
        .ok_or("the decoded JPEG has the wrong length")?;
    let mut decoded = DynamicImage::ImageRgb8(rgb);
    if let Some(orientation) = crate::jpeg::exif(bytes).and_then(Orientation::from_exif_chunk) {
        decoded.apply_orientation(orientation);
    }
    let rgb = decoded.into_rgb8();
    let (w, h) = rgb.dimensions();
    RgbImage::new(w as usize, h as usize, rgb.into_raw()).map_err(|e| e.to_string())
}
