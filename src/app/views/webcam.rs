//! The webcam panel: the toggle, the live preview and the frame counters.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlVideoElement;

use crate::app::actions::webcam;
use crate::app::state::AppState;

#[component]
pub fn Webcam() -> impl IntoView {
    let state = expect_context::<AppState>();
    let video_ref = NodeRef::<leptos::html::Video>::new();
    let running = move || state.webcam.with(|s| s.running);
    let toggle = move |_| {
        let video: Option<HtmlVideoElement> = video_ref.get_untracked().map(|v| v.unchecked_into());
        if running() || webcam::running() {
            webcam::stop(state, video);
        } else if let Some(video) = video {
            webcam::start(state, video);
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
