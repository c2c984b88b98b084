//! Reading image files: the CLI's decoder, which the page also uses for JPEGs (other formats it
//! leaves to the browser).

use std::path::Path;

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
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    // image's default limits: 512 MiB of decoded pixels at most.
    reader.limits(Limits::default());
    let cannot = |e: image::ImageError| {
        format!("cannot be decoded as {format:?} (truncated or corrupt?): {e}")
    };
    let mut decoder = reader.into_decoder().map_err(cannot)?;
    let orientation = decoder.orientation().ok();
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(cannot)?;
    if let Some(orientation) = orientation {
        decoded.apply_orientation(orientation);
    }
    let rgb = decoded.to_rgb8();
    let (w, h) = rgb.dimensions();
    RgbImage::new(w as usize, h as usize, rgb.into_raw()).map_err(|e| e.to_string())
}
