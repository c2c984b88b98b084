//! The page: shared state, layout and the actions that change what is shown.

mod backend;
mod bench;
mod image_input;
mod inference;
mod js;
mod predictions;
mod test_hooks;
mod variants;
mod webcam;
mod weights;

use effnet::Variant;
use leptos::prelude::*;
use leptos::task::spawn_local;

use backend::{BackendInfo, BackendKind, BackendPanel};
use image_input::ImageInput;
use inference::{InputKind, LoadState, RunResult};
use predictions::Predictions;
use variants::VariantPanel;
use webcam::{Webcam, WebcamStats};
use weights::ManifestState;

/// Everything the components share (signals are `Copy`).
#[derive(Clone, Copy)]
pub struct AppState {
    pub variant: RwSignal<Variant>,
    pub backend: RwSignal<BackendInfo>,
    pub manifest: RwSignal<ManifestState>,
    pub load: RwSignal<LoadState>,
    pub result: RwSignal<Option<RunResult>>,
    /// Results shown so far (tests wait for it to grow).
    pub result_count: RwSignal<u64>,
    pub error: RwSignal<Option<String>>,
    pub status: RwSignal<String>,
    /// What the current input is (file name and size, or the webcam).
    pub input: RwSignal<Option<String>>,
    pub webcam: RwSignal<WebcamStats>,
    /// Bench mode's results (`?bench`), `None` otherwise.
    pub bench: RwSignal<Option<bench::BenchState>>,
}

impl AppState {
    fn new() -> Self {
        let variant = js::query_param("variant")
            .and_then(|v| Variant::parse(&v))
            .unwrap_or(Variant::Lite0);
        Self {
            variant: RwSignal::new(variant),
            backend: RwSignal::new(BackendInfo::default()),
            manifest: RwSignal::new(ManifestState::Loading),
            load: RwSignal::new(LoadState::Idle),
            result: RwSignal::new(None),
            result_count: RwSignal::new(0),
            error: RwSignal::new(None),
            status: RwSignal::new("Starting…".into()),
            input: RwSignal::new(None),
            webcam: RwSignal::new(WebcamStats::default()),
            bench: RwSignal::new(None),
        }
    }
}

/// Loads the selected variant and, when there is a still image (and the webcam is off, which
/// has its own loop), classifies it again.
fn refresh(state: AppState) {
    spawn_local(async move {
        let Some(kind) = state.backend.with_untracked(|b| b.active) else {
            return;
        };
        let variant = state.variant.get_untracked();
        match inference::current_image() {
            Some((image, name)) if !webcam::running() => {
                inference::classify(state, image, name, InputKind::Image).await;
            }
            _ => {
                if inference::ensure_model(state, variant, kind).await.is_ok()
                    && state.variant.get_untracked() == variant
                {
                    state.status.set(format!(
                        "{variant} is ready on {}: choose an image",
                        kind.label()
                    ));
                }
            }
        }
    });
}

/// Shows `variant` from now on: results of other variants still running are dropped.
pub fn select_variant(state: AppState, variant: Variant) {
    if state.variant.get_untracked() == variant {
        return;
    }
    inference::bump_generation();
    state.variant.set(variant);
    state.result.set(None);
    state.error.set(None);
    state.load.set(LoadState::Idle);
    refresh(state);
}

/// Runs models on `kind` from now on.
pub fn select_backend(state: AppState, kind: BackendKind) {
    if state.backend.with_untracked(|b| b.active) == Some(kind) || backend::device(kind).is_none() {
        return;
    }
    inference::bump_generation();
    state.backend.update(|b| {
        b.active = Some(kind);
        b.notice = None;
    });
    state.result.set(None);
    state.error.set(None);
    refresh(state);
}

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::new();
    provide_context(state);
    test_hooks::install(state);
    let dragging = RwSignal::new(false);
    image_input::install_global_listeners(state, dragging);

    spawn_local(async move {
        let manifest = weights::load_manifest().await;
        if let ManifestState::Failed(why) = &manifest {
            state.error.set(Some(format!("the weights manifest cannot be read, so every variant is randomly initialised: {why}")));
        }
        state.manifest.set(manifest);
        backend::start(state).await;
        state.status.set("Ready".into());
        if bench::requested() {
            bench::run(state).await;
        } else {
            refresh(state);
        }
    });

    view! {
        <div class="page" class:dragging=move || dragging.get()>
            <header>
                <h1>"EfficientNet in your browser"</h1>
                <p class="tagline">
                    "EfficientNet-B0…B7 and Lite0…Lite4, run by burn on WebGPU (or the CPU) in this page. Nothing leaves your machine."
                </p>
                <p class="status" data-testid="status" role="status" aria-live="polite">{move || state.status.get()}</p>
                <Show when=move || state.error.with(Option::is_some)>
                    <div class="error" data-testid="error" role="alert">
                        <span data-testid="error-message">{move || state.error.get().unwrap_or_default()}</span>
                        <button class="dismiss" aria-label="Dismiss" on:click=move |_| state.error.set(None)>
                            "×"
                        </button>
                    </div>
                </Show>
            </header>
            <main>
                <div class="column">
                    <ImageInput/>
                    <Webcam/>
                    <BackendPanel/>
                </div>
                <div class="column">
                    <Predictions/>
                </div>
                <div class="column wide">
                    <VariantPanel/>
                    <bench::BenchPanel/>
                </div>
            </main>
            <div class="drop-overlay" aria-hidden="true">"Drop the image to classify it"</div>
        </div>
    }
}
