//! The camera: getUserMedia, the preview's video element, and frames read from it.

use std::cell::RefCell;

use effnet::preprocess::RgbImage;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MediaStream, MediaStreamConstraints, MediaStreamTrack};

use super::js;

thread_local! {
    static STREAM: RefCell<Option<MediaStream>> = const { RefCell::new(None) };
}

pub async fn open_camera() -> Result<MediaStream, String> {
    let devices = js::window()
        .navigator()
        .media_devices()
        .map_err(|_| "this browser gives the page no camera access (navigator.mediaDevices is missing; the page must be served over https or from localhost)".to_string())?;
    let constraints = MediaStreamConstraints::new();
    let video = js_sys::Object::new();
    let ideal = |v: f64| {
        let o = js_sys::Object::new();
        let _ = Reflect::set(&o, &"ideal".into(), &JsValue::from_f64(v));
        o
    };
    let _ = Reflect::set(&video, &"width".into(), &ideal(640.0));
    let _ = Reflect::set(&video, &"height".into(), &ideal(480.0));
    constraints.set_video(&video);
    constraints.set_audio(&JsValue::FALSE);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| js::error_text(&e))?;
    let stream = JsFuture::from(promise).await.map_err(|e| {
        let name = js::get_string(&e, "name").unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" | "SecurityError" => "camera permission was denied".to_string(),
            "NotFoundError" | "OverconstrainedError" => "no camera was found".to_string(),
            "NotReadableError" | "AbortError" => {
                "the camera is in use by another program or failed to start".to_string()
            }
            _ => js::error_text(&e),
        }
    })?;
    Ok(stream.unchecked_into())
}

pub fn stop_tracks() {
    if let Some(stream) = STREAM.with(|s| s.borrow_mut().take()) {
        for track in stream.get_tracks().iter() {
            track.unchecked_into::<MediaStreamTrack>().stop();
        }
    }
}

// `HtmlMediaElement` members through Reflect (web-sys's `HtmlMediaElement` feature is not on).
pub fn set_prop(video: &HtmlVideoElement, key: &str, value: &JsValue) {
    let _ = Reflect::set(video, &key.into(), value);
}

pub fn ready_state(video: &HtmlVideoElement) -> f64 {
    js::get(video, "readyState").as_f64().unwrap_or(0.0)
}

pub fn current_time(video: &HtmlVideoElement) -> f64 {
    js::get(video, "currentTime").as_f64().unwrap_or(-1.0)
}

pub async fn play(video: &HtmlVideoElement) {
    let play = js::get(video, "play");
    if let Some(play) = play.dyn_ref::<js_sys::Function>()
        && let Ok(promise) = play.call0(video)
        && let Ok(promise) = promise.dyn_into::<js_sys::Promise>()
    {
        let _ = JsFuture::from(promise).await;
    }
}

/// Frames the video element has presented so far (`getVideoPlaybackQuality`), if it says.
pub fn presented_frames(video: &HtmlVideoElement) -> Option<f64> {
    let quality = js::get(video, "getVideoPlaybackQuality")
        .dyn_ref::<js_sys::Function>()?
        .call0(video)
        .ok()?;
    js::get(&quality, "totalVideoFrames").as_f64()
}

pub fn grab_frame(video: &HtmlVideoElement) -> Result<RgbImage, String> {
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 {
        return Err("no frame yet".into());
    }
    let (_canvas, ctx) = js::canvas_2d(w, h)?;
    ctx.draw_image_with_html_video_element(video, 0.0, 0.0)
        .map_err(|e| js::error_text(&e))?;
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .map_err(|e| js::error_text(&e))?;
    RgbImage::from_rgba(w as usize, h as usize, &data.data().0).map_err(|e| e.to_string())
}

/// Shows `stream` in `video` and keeps it until [`stop_tracks`].
pub async fn attach(video: &HtmlVideoElement, stream: MediaStream) {
    set_prop(video, "muted", &JsValue::TRUE);
    set_prop(video, "srcObject", &stream);
    STREAM.with(|s| *s.borrow_mut() = Some(stream));
    play(video).await;
}

/// Stops a stream that is not shown (the camera was turned off while the prompt was open).
pub fn discard(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        track.unchecked_into::<MediaStreamTrack>().stop();
    }
}

/// Takes the stream out of `video`.
pub fn detach(video: &HtmlVideoElement) {
    set_prop(video, "srcObject", &JsValue::NULL);
}

/// Whether a camera stream is open.
pub fn running() -> bool {
    STREAM.with(|s| s.borrow().is_some())
}
