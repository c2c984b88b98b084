//! The webcam as an input mode of the stage: the toggle, the live preview (shown only while the
//! camera runs) and the frame counters.

use leptos::prelude::*;

use crate::app::actions::App;
use wasm_bindgen::JsCast;
use web_sys::HtmlVideoElement;

use crate::app::actions::webcam;

#[component]
pub fn Webcam() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let video_ref = NodeRef::<leptos::html::Video>::new();
    let running = move || state.webcam.with(|s| s.running);
    let toggle = move |_| {
        let video: Option<HtmlVideoElement> = video_ref.get_untracked().map(|v| v.unchecked_into());
        if running() || webcam::running(app) {
            webcam::stop(app, video);
        } else if let Some(video) = video {
            webcam::start(app, video);
        }
    };
    let shown = move || running() || state.webcam.with(|s| s.frames > 0);
    view! {
        <button data-testid="webcam-toggle" class="secondary" aria-pressed=move || running().to_string() on:click=toggle>
            {move || if running() { "Stop the webcam" } else { "Use the webcam" }}
        </button>
        <video
            node_ref=video_ref
            class="preview"
            class:hidden=move || !running()
            playsinline=true
            muted=true
            aria-label="Webcam preview"
            data-testid="webcam-video"
        ></video>
        <p
            class="webcam-stats"
            class:hidden=move || !shown()
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
    }
}
