//! Video frames handed to the engine's worker as `ImageBitmap`s: the page takes a frame from
//! the `<video>` without reading its pixels, and the worker reads them on an `OffscreenCanvas`.
//! The page's thread then neither copies the frame nor allocates its pixels (whose buffers,
//! one per frame, kept its garbage collector busy).

use std::cell::RefCell;

use effnet::preprocess::RgbImage;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, ImageBitmap, OffscreenCanvas, OffscreenCanvasRenderingContext2d};

use super::js;
use crate::app::state::error::AppError;

fn unreadable(detail: impl Into<String>) -> AppError {
    AppError::FrameUnreadable {
        detail: detail.into(),
    }
}

/// The video's current frame as an `ImageBitmap` (the browser copies it off this thread).
pub async fn grab(video: &HtmlVideoElement) -> Result<ImageBitmap, AppError> {
    if video.video_width() == 0 || video.video_height() == 0 {
        return Err(unreadable("no frame yet"));
    }
    let promise = js::window()
        .create_image_bitmap_with_html_video_element(video)
        .map_err(|e| unreadable(js::error_text(&e)))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| unreadable(js::error_text(&e)))?
        .dyn_into()
        .map_err(|_| unreadable("createImageBitmap gave no ImageBitmap"))
}

/// Reads the frames moved to the engine's worker: one canvas for every frame (resized when the
/// frames' size changes).
#[derive(Default)]
pub struct FrameReader {
    canvas: RefCell<Option<(OffscreenCanvas, OffscreenCanvasRenderingContext2d)>>,
}

impl FrameReader {
    /// The RGB pixels of `bitmap` (a frame moved here from the page), which is closed after.
    pub fn read(&self, bitmap: &JsValue) -> Result<RgbImage, AppError> {
        let bitmap: &ImageBitmap = bitmap
            .dyn_ref()
            .ok_or_else(|| unreadable("the frame is not an ImageBitmap"))?;
        let result = self.read_bitmap(bitmap);
        bitmap.close();
        result
    }

    fn read_bitmap(&self, bitmap: &ImageBitmap) -> Result<RgbImage, AppError> {
        let (w, h) = (bitmap.width(), bitmap.height());
        if w == 0 || h == 0 {
            return Err(unreadable("the frame has no pixels"));
        }
        let mut cell = self.canvas.borrow_mut();
        if cell.is_none() {
            *cell = Some(offscreen_2d(w, h)?);
        }
        let (canvas, ctx) = cell.as_ref().expect("made above");
        if canvas.width() != w || canvas.height() != h {
            canvas.set_width(w);
            canvas.set_height(h);
        }
        ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)
            .map_err(|e| unreadable(js::error_text(&e)))?;
        let data = ctx
            .get_image_data(0.0, 0.0, w as f64, h as f64)
            .map_err(|e| unreadable(js::error_text(&e)))?;
        RgbImage::from_rgba(w as usize, h as usize, &data.data().0)
            .map_err(|e| unreadable(e.to_string()))
    }
}

fn offscreen_2d(
    width: u32,
    height: u32,
) -> Result<(OffscreenCanvas, OffscreenCanvasRenderingContext2d), AppError> {
    let canvas = OffscreenCanvas::new(width, height).map_err(|e| unreadable(js::error_text(&e)))?;
    let options = js_sys::Object::new();
    js::set(&options, "willReadFrequently", &JsValue::TRUE);
    canvas
        .get_context_with_context_options("2d", &options)
        .map_err(|e| unreadable(js::error_text(&e)))?
        .ok_or_else(|| unreadable("this worker gives no 2D OffscreenCanvas"))?
        .dyn_into()
        .map_err(|_| unreadable("unexpected OffscreenCanvas context"))
        .map(|ctx| (canvas, ctx))
}
