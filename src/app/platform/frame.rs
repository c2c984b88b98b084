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

/// The video's current frame as an `ImageBitmap` (the browser copies it off this thread).
pub async fn grab(video: &HtmlVideoElement) -> Result<ImageBitmap, String> {
    if video.video_width() == 0 || video.video_height() == 0 {
        return Err("no frame yet".into());
    }
    let promise = js::window()
        .create_image_bitmap_with_html_video_element(video)
        .map_err(|e| js::error_text(&e))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| js::error_text(&e))?
        .dyn_into()
        .map_err(|_| "createImageBitmap gave no ImageBitmap".into())
}

thread_local! {
    /// One canvas for every frame (resized when the frames' size changes).
    static CANVAS: RefCell<Option<(OffscreenCanvas, OffscreenCanvasRenderingContext2d)>> =
        const { RefCell::new(None) };
}

/// The RGB pixels of `bitmap` (a frame moved here from the page), which is closed after.
pub fn read(bitmap: &JsValue) -> Result<RgbImage, String> {
    let bitmap: &ImageBitmap = bitmap.dyn_ref().ok_or("the frame is not an ImageBitmap")?;
    let result = read_bitmap(bitmap);
    bitmap.close();
    result
}

fn read_bitmap(bitmap: &ImageBitmap) -> Result<RgbImage, String> {
    let (w, h) = (bitmap.width(), bitmap.height());
    if w == 0 || h == 0 {
        return Err("the frame has no pixels".into());
    }
    CANVAS.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some(offscreen_2d(w, h)?);
        }
        let (canvas, ctx) = cell.as_ref().expect("made above");
        if canvas.width() != w || canvas.height() != h {
            canvas.set_width(w);
            canvas.set_height(h);
        }
        ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)
            .map_err(|e| js::error_text(&e))?;
        let data = ctx
            .get_image_data(0.0, 0.0, w as f64, h as f64)
            .map_err(|e| format!("cannot read the frame: {}", js::error_text(&e)))?;
        RgbImage::from_rgba(w as usize, h as usize, &data.data().0).map_err(|e| e.to_string())
    })
}

fn offscreen_2d(
    width: u32,
    height: u32,
) -> Result<(OffscreenCanvas, OffscreenCanvasRenderingContext2d), String> {
    let canvas = OffscreenCanvas::new(width, height).map_err(|e| js::error_text(&e))?;
    let options = js_sys::Object::new();
    js::set(&options, "willReadFrequently", &JsValue::TRUE);
    let ctx = canvas
        .get_context_with_context_options("2d", &options)
        .map_err(|e| js::error_text(&e))?
        .ok_or("this worker gives no 2D OffscreenCanvas")?
        .dyn_into()
        .map_err(|_| "unexpected OffscreenCanvas context".to_string())?;
    Ok((canvas, ctx))
}
