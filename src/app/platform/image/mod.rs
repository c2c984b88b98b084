//! Still images from the browser: judged by the core's admission rules ([`effnet::admission`])
//! from their size and header before anything is decoded, decoded by the browser
//! ([`bitmap`]: createImageBitmap, EXIF orientation applied, no colour conversion, no
//! premultiplication) and read back through WebGL2 ([`readback`]), which keeps the colour stored
//! under transparent pixels as Pillow's `convert("RGB")` does. Chromium decodes JPEGs with
//! libjpeg-turbo, as Pillow and the CLI do, so the page sees the pixels `effnet classify` sees.
//! Files dropped or pasted come out of their `DataTransfer` in [`transfer`].

mod bitmap;
mod readback;
pub mod transfer;

use effnet::admission::{self, Refusal, Size};
use effnet::image_header;
use effnet::preprocess::RgbImage;
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

use super::js;
use crate::app::state::error::AppError;
pub use readback::Readback;

/// A decoded picture and what was done to it.
pub struct Decoded {
    pub image: RgbImage,
    /// The picture's own size.
    pub original: Size,
    /// Whether it was read at a reduced size.
    pub downscaled: bool,
}

fn refused(refusal: Refusal) -> AppError {
    AppError::Refused { refusal }
}

async fn read_bytes(blob: &Blob) -> Result<Vec<u8>, AppError> {
    let buffer = JsFuture::from(blob.array_buffer()).await.map_err(|e| {
        refused(Refusal::Unreadable {
            detail: js::error_text(&e),
        })
    })?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Decodes an image file (or a pasted or dropped blob) into RGB, reading its pixels back
/// through `readback`. The file's size and the picture's pixel count (from its header) are
/// judged before anything is decoded or read whole.
pub async fn decode_blob(blob: &Blob, readback: &Readback) -> Result<Decoded, AppError> {
    let size = blob.size() as u64;
    admission::check_file(size).map_err(refused)?;
    let head_blob = blob
        .slice_with_f64_and_f64(0.0, admission::HEAD_BYTES.min(size) as f64)
        .map_err(|e| js::browser_error(&e))?;
    let head = read_bytes(&head_blob).await?;
    let header = image_header::read(&head);
    let plan = admission::check_header(header).map_err(refused)?;
    if plan.check_jpeg_end {
        let complete = if head.len() as u64 == size {
            effnet::jpeg::is_complete(&head)
        } else {
            effnet::jpeg::is_complete(&read_bytes(blob).await?)
        };
        if !complete {
            return Err(refused(Refusal::TruncatedJpeg));
        }
        // Decoded by the browser like every other format: Chromium's decoder is libjpeg-turbo,
        // whose pixels are Pillow's (measured on 17 kinds of JPEG by tools/browser_decode_check.mjs;
        // CMYK JPEGs differ by at most 1 level). The CLI decodes with libjpeg-turbo too.
    }
    drop(head);
    let bitmap = bitmap::decode(blob, header, plan).await.map_err(refused)?;
    let pixels = readback.read(&bitmap.bitmap);
    bitmap.bitmap.close();
    let pixels = pixels?;
    let image = RgbImage::from_rgba(
        pixels.size.width as usize,
        pixels.size.height as usize,
        &pixels.rgba,
    )
    .map_err(|e| {
        refused(Refusal::Unreadable {
            detail: e.to_string(),
        })
    })?;
    Ok(Decoded {
        image,
        original: bitmap.original,
        downscaled: bitmap.downscaled,
    })
}

/// Fetches a file of the site (a bundled sample) as a blob.
pub async fn fetch_blob(url: &str) -> Result<Blob, AppError> {
    let unavailable = |detail: String| AppError::SampleUnavailable {
        url: url.into(),
        detail,
    };
    let response: web_sys::Response = JsFuture::from(js::window().fetch_with_str(url))
        .await
        .map_err(|e| unavailable(js::error_text(&e)))?
        .unchecked_into();
    if !response.ok() {
        return Err(unavailable(format!("HTTP {}", response.status())));
    }
    let blob = JsFuture::from(
        response
            .blob()
            .map_err(|e| unavailable(js::error_text(&e)))?,
    )
    .await
    .map_err(|e| unavailable(js::error_text(&e)))?;
    Ok(blob.unchecked_into())
}
