//! The backend in use, the adapter, and the switch between WebGPU and the CPU.

use leptos::prelude::*;

use crate::app::actions::App;

use crate::app::actions;
use crate::app::state::backend::{
    BackendInfo, BackendKind, GpuStart, HalfChoice, Precision, RunsIn, choice_now,
};

/// Shows the backend in use, the adapter, and lets the visitor switch.
#[component]
pub fn BackendPanel() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let active = move || state.backend.with(|b| b.active);
    let gpu_ready = move || {
        state
            .backend
            .with(|b| matches!(b.gpu, Some(GpuStart::Ready(_))))
    };
    let adapter = move || {
        state.backend.with(|b| match &b.gpu {
            None => "WebGPU: checking…".to_string(),
            Some(GpuStart::NotAsked) => "WebGPU: not tried".to_string(),
            Some(GpuStart::Unavailable(why)) => format!("WebGPU unavailable: {why}"),
            Some(GpuStart::Failed(why)) => format!("WebGPU failed: {why}"),
            Some(GpuStart::Ready(info)) => format!("WebGPU adapter: {}", info.summary()),
        })
    };
    let fallback = move || {
        state
            .backend
            .with(|b| matches!(&b.gpu, Some(GpuStart::Ready(i)) if i.fallback))
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
    let precision = move || {
        let choice = state.options.with_value(|o| o.engine.f16);
        state.backend.with(|b| precision(choice, b))
    };
    let switch = move |kind: BackendKind| actions::select_backend(app, kind);
    // The variant on screen's stored formats (precision, MB) and the one the page loads.
    let formats = move || {
        let variant = state.variant.get();
        state.manifest.with(|m| m.entry(variant)).map(|e| {
            let all: Vec<_> = e
                .stored_formats()
                .into_iter()
                .map(|f| (f.precision, f.bytes as f64 / 1e6))
                .collect();
            (e.precision, all)
        })
    };
    let choice = move || {
        formats()
            .filter(|(_, all)| all.len() > 1)
            .map(|(current, all)| {
                all.into_iter()
                    .map(|(p, mb)| {
                        view! {
                            <button
                                data-testid=format!("weights-{}", p.name())
                                aria-pressed=(p == current).to_string()
                                disabled=p == current
                                on:click=move |_| actions::choose_weights(p)
                            >
                                {format!("{}{} · {mb:.1} MB", if p == current { "✓ " } else { "" }, p.name())}
                            </button>
                        }
                    })
                    .collect_view()
            })
    };
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
            <p data-testid="precision" data-precision=move || precision().0.map(Precision::id)>
                {move || precision().1}
            </p>
            <Show when=move || choice_text(app).is_some()>
                <p class="notice" data-testid="backend-notice">{move || choice_text(app).unwrap_or_default()}</p>
            </Show>
            <Show when=move || choice().is_some()>
                <p data-testid="weights-choice" data-precision=move || formats().map(|(p, _)| p.name())>
                    "Weights for this variant — q8: 8-bit, about half the download, the same top class on clear photos, probabilities within ~0.02; your choice is kept for later visits:"
                </p>
                <div class="buttons weights-choice" role="group" aria-label="Weights precision">{choice}</div>
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

/// Which backend runs and why, with the latencies of the variant on screen measured here
/// (`state::backend::choice_line`); `None` where there is nothing to say (a hardware GPU).
pub fn choice_text(app: App) -> Option<String> {
    let state = app.state;
    let variant = state.variant.get();
    state.measured.with(|m| {
        state
            .backend
            .with(|b| choice_now(b, m, variant).and_then(|(_, line)| line))
    })
}

/// What new networks compute in on the active backend, and why.
fn precision(choice: HalfChoice, backend: &BackendInfo) -> (Option<Precision>, String) {
    let Some(kind) = backend.active else {
        return (None, "Precision: starting…".into());
    };
    let shader_f16 = matches!(&backend.gpu, Some(GpuStart::Ready(i)) if i.shader_f16);
    let (choice, why) = if backend.f16_failed {
        (
            HalfChoice::Off,
            "f16 failed in this browser before (the engine stopped, or its scores were not \
             finite numbers, while computing in f16), so f16 stays off until this site's data \
             is cleared",
        )
    } else {
        match (choice, kind) {
            (HalfChoice::Off, _) => (choice, "?f16=off"),
            (_, BackendKind::WebGpu) if shader_f16 => (
                choice,
                "this adapter offers shader-f16; logits within ~0.1 of f32, ?f16=off for f32",
            ),
            (_, BackendKind::WebGpu) => (choice, "this adapter offers no shader-f16"),
            (HalfChoice::On, BackendKind::Cpu) => (
                choice,
                "?f16=on: a test knob, much slower than f32 on the CPU",
            ),
            (HalfChoice::Auto, BackendKind::Cpu) => (choice, "f16 is only used on a GPU"),
        }
    };
    // The CPU backend computes f16 (slowly); WebGPU where the adapter has shader-f16.
    let half = kind == BackendKind::Cpu || shader_f16;
    let precision = choice.precision(kind, half);
    (
        Some(precision),
        format!("Networks compute in {} ({why}).", precision.id()),
    )
}
