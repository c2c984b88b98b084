//! The camera: getUserMedia, the preview's video element, and frames read from it.

use std::cell::RefCell;

use effnet::preprocess::RgbImage;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MediaStream, MediaStreamConstraints, MediaStreamTrack};

use super::js;
use crate::app::state::error::AppError;

fn webcam(why: impl Into<String>) -> AppError {
    AppError::Webcam { why: why.into() }
}

/// The page's camera: the stream it shows, while one is open.
#[derive(Default)]
pub struct Camera {
    stream: RefCell<Option<MediaStream>>,
}

pub async fn open_camera() -> Result<MediaStream, AppError> {
    let devices = js::window()
        .navigator()
        .media_devices()
        .map_err(|_| webcam("this browser gives the page no camera access (navigator.mediaDevices is missing; the page must be served over https or from localhost)"))?;
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
        .map_err(|e| webcam(js::error_text(&e)))?;
    let stream = JsFuture::from(promise).await.map_err(|e| {
        // The exception's name says why.
        let name = js::get_string(&e, "name").unwrap_or_default();
        webcam(match name.as_str() {
            "NotAllowedError" | "SecurityError" => "camera permission was denied".to_string(),
            "NotFoundError" | "OverconstrainedError" => "no camera was found".to_string(),
            "NotReadableError" | "AbortError" => {
                "the camera is in use by another program or failed to start".to_string()
            }
            _ => js::error_text(&e),
        })
    })?;
    Ok(stream.unchecked_into())
}

impl Camera {
    /// Shows `stream` in `video` and keeps it until [`Camera::stop`].
    pub async fn attach(&self, video: &HtmlVideoElement, stream: MediaStream) {
        set_prop(video, "muted", &JsValue::TRUE);
        set_prop(video, "srcObject", &stream);
        *self.stream.borrow_mut() = Some(stream);
        play(video).await;
    }

    /// Stops the camera's tracks.
    pub fn stop(&self) {
        if let Some(stream) = self.stream.borrow_mut().take() {
            discard(&stream);
        }
    }

    /// Whether a camera stream is open.
    pub fn running(&self) -> bool {
        self.stream.borrow().is_some()
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

pub fn grab_frame(video: &HtmlVideoElement) -> Result<RgbImage, AppError> {
    let unreadable = |detail: String| AppError::FrameUnreadable { detail };
    let (w, h) = (video.video_width(), video.video_height());
    if w == 0 || h == 0 {
        return Err(unreadable("no frame yet".into()));
    }
    let (_canvas, ctx) = js::canvas_2d(w, h)?;
    ctx.draw_image_with_html_video_element(video, 0.0, 0.0)
        .map_err(|e| unreadable(js::error_text(&e)))?;
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .map_err(|e| unreadable(js::error_text(&e)))?;
    RgbImage::from_rgba(w as usize, h as usize, &data.data().0)
        .map_err(|e| unreadable(e.to_string()))
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
