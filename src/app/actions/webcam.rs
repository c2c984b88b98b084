//! The webcam as an input: a loop that classifies the newest frame whenever the engine is
//! free. Frames that arrive while it is busy are dropped, never queued.

use std::collections::VecDeque;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsValue;
use web_sys::HtmlVideoElement;

use super::App;
use super::classify::classify;
use crate::app::engine::Pixels;
use crate::app::platform::{camera, frame, js};
use crate::app::state::activity::Activity;
use crate::app::state::error::AppError;
use crate::app::state::results::InputKind;
use crate::app::state::webcam::WebcamStats;

impl App {
    /// The webcam loop's number now (a loop runs while its number is current).
    fn webcam_run(self) -> u64 {
        self.with(|o| o.webcam_runs.get())
    }

    /// Starts a new number: older loops stop.
    fn next_webcam_run(self) -> u64 {
        self.with(|o| {
            o.webcam_runs.set(o.webcam_runs.get() + 1);
            o.webcam_runs.get()
        })
    }
}

/// Whether the camera is on.
pub fn running(app: App) -> bool {
    app.camera().running()
}

/// Turns the camera on into `video` and classifies its frames until [`stop`].
pub fn start(app: App, video: HtmlVideoElement) {
    let state = app.state;
    state.error.set(None);
    let mine = app.next_webcam_run();
    spawn_local(async move {
        match camera::open_camera().await {
            Err(error) => {
                state.error.set(Some(error));
                state.webcam.update(|s| s.running = false);
            }
            Ok(stream) => {
                if app.webcam_run() != mine {
                    // Stopped while the permission prompt was open.
                    camera::discard(&stream);
                    return;
                }
                app.camera().attach(&video, stream).await;
                state.webcam.set(WebcamStats {
                    running: true,
                    ..Default::default()
                });
                state.input.set(Some("webcam (live)".into()));
                state.activity.set(Activity::Webcam);
                run_loop(app, video, mine).await;
            }
        }
    });
}

/// Turns the camera off; a frame still running shows nothing.
pub fn stop(app: App, video: Option<HtmlVideoElement>) {
    let state = app.state;
    app.next_webcam_run();
    app.engine().session.supersede();
    app.camera().stop();
    if let Some(video) = video {
        camera::detach(&video);
    }
    state.webcam.update(|s| s.running = false);
    state.activity.set(Activity::CameraStopped);
}

/// The video's current frame: staged for the engine's worker as an `ImageBitmap` when the
/// networks run there (the page's thread never reads its pixels), read here otherwise.
async fn grab(app: App, video: &HtmlVideoElement) -> Result<Pixels, AppError> {
    if let Some(worker) = app.worker() {
        match frame::grab(video).await {
            Ok(bitmap) => return Ok(Pixels::Frame(worker.stage_frame(JsValue::from(bitmap)))),
            Err(e) => js::log(&format!(
                "effnet: no ImageBitmap of the frame ({e}); reading its pixels here"
            )),
        }
    }
    camera::grab_frame(video).map(|image| Pixels::Rgb(Rc::new(image)))
}

async fn run_loop(app: App, video: HtmlVideoElement, mine: u64) {
    let state = app.state;
    let mut done: VecDeque<f64> = VecDeque::new();
    let mut last_time = -1.0;
    let engine = app.engine();
    while app.webcam_run() == mine {
        let time = camera::current_time(&video);
        let fresh = camera::ready_state(&video) >= 2.0 && time != last_time;
        if fresh {
            last_time = time;
            match engine.session.try_begin_frame() {
                // The engine is busy (a still image, a comparison): drop the frame.
                None => state.webcam.update(|s| s.dropped += 1),
                Some(frame) => match grab(app, &video).await {
                    Ok(pixels) => {
                        let started = js::now();
                        let before = camera::presented_frames(&video);
                        let result =
                            classify(app, pixels, "webcam".into(), InputKind::Webcam).await;
                        drop(frame);
                        if app.webcam_run() != mine {
                            break;
                        }
                        // Frames shown while the model was busy were skipped, not queued.
                        if let (Some(a), Some(b)) = (before, camera::presented_frames(&video)) {
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
                },
            }
        }
        // Give the page a turn (the preview, clicks) before the next frame.
        js::sleep(10).await;
    }
}
