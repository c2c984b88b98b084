//! The backend in use, the adapter, and the switch between WebGPU and the CPU.

use leptos::prelude::*;

use crate::app::actions;
use crate::app::state::AppState;
use crate::app::state::backend::{BackendKind, GpuState, RunsIn};

/// Shows the backend in use, the adapter, and lets the visitor switch.
#[component]
pub fn BackendPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let active = move || state.backend.with(|b| b.active);
    let gpu_ready = move || state.backend.with(|b| matches!(b.gpu, GpuState::Ready(_)));
    let adapter = move || {
        state.backend.with(|b| match &b.gpu {
            GpuState::Probing => "WebGPU: checking…".to_string(),
            GpuState::Skipped => "WebGPU: not tried".to_string(),
            GpuState::Unavailable(why) => format!("WebGPU unavailable: {why}"),
            GpuState::Failed(why) => format!("WebGPU failed: {why}"),
            GpuState::Ready(info) => format!("WebGPU adapter: {}", info.summary()),
        })
    };
    let fallback = move || {
        state
            .backend
            .with(|b| matches!(&b.gpu, GpuState::Ready(i) if i.fallback))
    };
    let runs_in = move || {
        state.backend.with(|b| match &b.runs_in {
            RunsIn::Starting => ("starting", "Networks run: starting…".to_string()),
            RunsIn::Worker => (
                "worker",
                "Networks run in a Web Worker: this page's thread only draws and answers you."
                    .to_string(),
            ),
            RunsIn::Page(why) => (
                "page",
                format!("Networks run on the page's own thread: {why}."),
            ),
        })
    };
    let switch = move |kind: BackendKind| actions::select_backend(state, kind);
    view! {
        <section class="panel backend" aria-label="Backend">
            <h2>"Backend"</h2>
            <p>
                "Running on: "
                <strong data-testid="backend" data-backend=move || active().map(|k| k.id()).unwrap_or("starting")>
                    {move || active().map(|k| k.label()).unwrap_or("starting…")}
                </strong>
            </p>
            <p data-testid="runs-in" data-runs-in=move || runs_in().0>{move || runs_in().1}</p>
            <p data-testid="adapter" data-fallback=move || fallback().to_string() class="adapter">{adapter}</p>
            <Show when=move || state.backend.with(|b| b.notice.is_some())>
                <p class="notice" role="status" data-testid="backend-notice">
                    {move || state.backend.with(|b| b.notice.clone().unwrap_or_default())}
                </p>
            </Show>
            <div class="buttons">
                <button
                    data-testid="use-webgpu"
                    disabled=move || !gpu_ready() || active() == Some(BackendKind::WebGpu)
                    on:click=move |_| switch(BackendKind::WebGpu)
                >
                    "Use WebGPU"
                </button>
                <button
                    data-testid="use-cpu"
                    disabled=move || active().is_none() || active() == Some(BackendKind::Cpu)
                    on:click=move |_| switch(BackendKind::Cpu)
                >
                    "Use CPU"
                </button>
            </div>
        </section>
    }
}
