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

/// The webcam as the input of a request: what the stage and its results are named.
pub const INPUT: &str = "webcam";

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
                // The webcam is a request of its own: older work stops, its frames join it.
                app.begin(Some(INPUT.into()), Activity::Webcam);
                state.sample.set(None);
                run_loop(app, video, mine).await;
            }
        }
    });
}

/// Turns the camera off; a frame still running shows nothing, and the last frame's result
/// stays, as the previous one.
pub fn stop(app: App, video: Option<HtmlVideoElement>) {
    let state = app.state;
    app.next_webcam_run();
    app.camera().stop();
    if let Some(video) = video {
        camera::detach(&video);
    }
    state.webcam.update(|s| s.running = false);
    app.begin(Some(INPUT.into()), Activity::CameraStopped);
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
            // The engine is busy (a still image, a comparison): drop the frame. A frame the
            // browser does not give within a second is given up (the camera may be going).
            let grabbed = if engine.session.busy() {
                None
            } else {
                js::within(grab(app, &video), 1000).await
            };
            match grabbed.map(|g| (g, engine.session.try_begin_frame())) {
                None | Some((Ok(_), None)) => state.webcam.update(|s| s.dropped += 1),
                Some((Err(e), _)) => js::log(&format!("effnet: webcam frame skipped: {e}")),
                Some((Ok(pixels), Some(frame))) => {
                    {
                        let started = js::now();
                        let before = camera::presented_frames(&video);
                        let result =
                            classify(app, pixels, INPUT.into(), InputKind::Webcam, started).await;
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
                }
            }
        }
        // Give the page a turn (the preview, clicks) before the next frame.
        js::sleep(10).await;
    }
}
