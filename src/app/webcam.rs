//! Live webcam: getUserMedia, a preview that keeps playing, and a loop that classifies the
//! newest frame whenever the model is free. Frames that arrive while it is busy are dropped,
//! never queued.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use effnet::preprocess::RgbImage;
use js_sys::Reflect;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlVideoElement, MediaStream, MediaStreamConstraints, MediaStreamTrack};

use super::inference::{self, InputKind};
use super::{AppState, js};

/// What the webcam panel shows and publishes.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct WebcamStats {
    pub running: bool,
    /// Frames classified.
    pub frames: u64,
    /// Frames the preview showed while a model was busy: skipped, never queued.
    pub dropped: u64,
    /// Classified frames per second over the last few seconds.
    pub fps: f64,
    /// Latency of the last frame (preprocessing + forward + readback), ms.
    pub latency_ms: f64,
}

thread_local! {
    static STREAM: RefCell<Option<MediaStream>> = const { RefCell::new(None) };
    /// Incremented on every start and stop: a loop runs while its session is current.
    static SESSION: Cell<u64> = const { Cell::new(0) };
}

fn session() -> u64 {
    SESSION.with(Cell::get)
}

fn next_session() -> u64 {
    SESSION.with(|s| {
        s.set(s.get() + 1);
        s.get()
    })
}

async fn open_camera() -> Result<MediaStream, String> {
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

fn stop_tracks() {
    if let Some(stream) = STREAM.with(|s| s.borrow_mut().take()) {
        for track in stream.get_tracks().iter() {
            track.unchecked_into::<MediaStreamTrack>().stop();
        }
    }
}

// `HtmlMediaElement` members through Reflect (web-sys's `HtmlMediaElement` feature is not on).
fn set_prop(video: &HtmlVideoElement, key: &str, value: &JsValue) {
    let _ = Reflect::set(video, &key.into(), value);
}

fn ready_state(video: &HtmlVideoElement) -> f64 {
    js::get(video, "readyState").as_f64().unwrap_or(0.0)
}

fn current_time(video: &HtmlVideoElement) -> f64 {
    js::get(video, "currentTime").as_f64().unwrap_or(-1.0)
}

async fn play(video: &HtmlVideoElement) {
    let play = js::get(video, "play");
    if let Some(play) = play.dyn_ref::<js_sys::Function>()
        && let Ok(promise) = play.call0(video)
        && let Ok(promise) = promise.dyn_into::<js_sys::Promise>()
    {
        let _ = JsFuture::from(promise).await;
    }
}

/// Frames the video element has presented so far (`getVideoPlaybackQuality`), if it says.
fn presented_frames(video: &HtmlVideoElement) -> Option<f64> {
    let quality = js::get(video, "getVideoPlaybackQuality")
        .dyn_ref::<js_sys::Function>()?
        .call0(video)
        .ok()?;
    js::get(&quality, "totalVideoFrames").as_f64()
}

fn grab_frame(video: &HtmlVideoElement) -> Result<RgbImage, String> {
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

async fn run_loop(state: AppState, video: HtmlVideoElement, my_session: u64) {
    let mut done: VecDeque<f64> = VecDeque::new();
    let mut last_time = -1.0;
    while session() == my_session {
        let time = current_time(&video);
        let fresh = ready_state(&video) >= 2.0 && time != last_time;
        if fresh && inference::busy() {
            state.webcam.update(|s| s.dropped += 1);
            last_time = time;
        } else if fresh {
            last_time = time;
            match grab_frame(&video) {
                Ok(frame) => {
                    let started = js::now();
                    let before = presented_frames(&video);
                    let result = inference::classify(
                        state,
                        Rc::new(frame),
                        "webcam".into(),
                        InputKind::Webcam,
                    )
                    .await;
                    if session() != my_session {
                        break;
                    }
                    // Frames shown while the model was busy were skipped, not queued.
                    if let (Some(a), Some(b)) = (before, presented_frames(&video)) {
                        let skipped = (b - a).max(0.0) as u64;
                        state.webcam.update(|s| s.dropped += skipped);
                    }
                    if result.is_some() {
                        let end = js::now();
                        done.push_back(end);
                        while done.front().is_some_and(|&t| end - t > 3000.0) {
                            done.pop_front();
                        }
                        let fps = if done.len() >= 2 {
                            (done.len() - 1) as f64 * 1000.0 / (end - done[0]).max(1.0)
                        } else {
                            1000.0 / (end - started).max(1.0)
                        };
                        state.webcam.update(|s| {
                            s.frames += 1;
                            s.fps = fps;
                            s.latency_ms = end - started;
                        });
                    }
                }
                Err(e) => js::log(&format!("effnet: webcam frame skipped: {e}")),
            }
        }
        // Give the page a turn (the preview, clicks) before the next frame.
        js::sleep(10).await;
    }
}

fn start(state: AppState, video: HtmlVideoElement) {
    state.error.set(None);
    let my_session = next_session();
    spawn_local(async move {
        match open_camera().await {
            Err(why) => {
                state.error.set(Some(format!("webcam unavailable: {why}")));
                state.webcam.update(|s| s.running = false);
            }
            Ok(stream) => {
                if session() != my_session {
                    // Stopped while the permission prompt was open.
                    for track in stream.get_tracks().iter() {
                        track.unchecked_into::<MediaStreamTrack>().stop();
                    }
                    return;
                }
                set_prop(&video, "muted", &JsValue::TRUE);
                set_prop(&video, "srcObject", &stream);
                STREAM.with(|s| *s.borrow_mut() = Some(stream));
                play(&video).await;
                state.webcam.set(WebcamStats {
                    running: true,
                    ..Default::default()
                });
                state.input.set(Some("webcam (live)".into()));
                state
                    .status
                    .set("Classifying the webcam, frame after frame…".into());
                run_loop(state, video, my_session).await;
            }
        }
    });
}

pub fn stop(state: AppState, video: Option<HtmlVideoElement>) {
    next_session();
    // A frame still running must not show up after the stop.
    inference::bump_generation();
    stop_tracks();
    if let Some(video) = video {
        set_prop(&video, "srcObject", &JsValue::NULL);
    }
    state.webcam.update(|s| s.running = false);
    state.status.set("Camera stopped".into());
}

pub fn running() -> bool {
    STREAM.with(|s| s.borrow().is_some())
}

#[component]
pub fn Webcam() -> impl IntoView {
    let state = expect_context::<AppState>();
    let video_ref = NodeRef::<leptos::html::Video>::new();
    let running = move || state.webcam.with(|s| s.running);
    let toggle = move |_| {
        let video: Option<HtmlVideoElement> = video_ref.get_untracked().map(|v| v.unchecked_into());
        if running() || self::running() {
            stop(state, video);
        } else if let Some(video) = video {
            start(state, video);
        }
    };
    view! {
        <section class="panel webcam" aria-label="Webcam">
            <h2>"Webcam"</h2>
            <button data-testid="webcam-toggle" on:click=toggle>
                {move || if running() { "Stop camera" } else { "Start camera" }}
            </button>
            <video node_ref=video_ref class="preview" playsinline=true muted=true data-testid="webcam-video"></video>
            <p
                class="webcam-stats"
                data-testid="webcam-stats"
                data-running=move || running().to_string()
                data-fps=move || state.webcam.with(|s| format!("{:.2}", s.fps))
                data-frames=move || state.webcam.with(|s| s.frames.to_string())
            >
                {move || {
                    state.webcam.with(|s| {
                        if s.running {
                            format!(
                                "{:.1} frames/s classified · last frame {:.0} ms · {} classified, {} dropped while busy",
                                s.fps,
                                s.latency_ms,
                                s.frames,
                                s.dropped,
                            )
                        } else if s.frames > 0 {
                            format!("stopped after {} frames", s.frames)
                        } else {
                            "camera off".to_string()
                        }
                    })
                }}
            </p>
        </section>
    }
}
