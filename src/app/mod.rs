//! The page: shared state, layout and the actions that change what is shown.

mod backend;
mod bench;
mod cam_overlay;
mod compare;
mod depthwise_gpu;
mod image_input;
mod inference;
mod js;
mod measurements;
mod memory;
mod models;
mod offline;
mod predictions;
mod preprocess_gpu;
mod profile;
mod run;
mod scaling;
mod test_hooks;
mod variants;
mod webcam;
mod weights;

use effnet::Variant;
use leptos::prelude::*;
use leptos::task::spawn_local;

use backend::{BackendInfo, BackendKind, BackendPanel};
use cam_overlay::CamSettings;
use compare::{CompareState, CompareView};
use image_input::ImageInput;
use inference::{InputKind, RunResult};
use measurements::Measurements;
use models::LoadState;
use offline::{OfflineState, OfflineStatus};
use predictions::Predictions;
use scaling::ScalingView;
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
    pub cam: RwSignal<CamSettings>,
    pub measured: RwSignal<Measurements>,
    pub compare: RwSignal<CompareState>,
    pub tab: RwSignal<Tab>,
    pub offline: RwSignal<OfflineState>,
}

/// The page's views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Classify,
    Compare,
    Scaling,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Classify, Tab::Compare, Tab::Scaling];

    fn id(self) -> &'static str {
        match self {
            Tab::Classify => "classify",
            Tab::Compare => "compare",
            Tab::Scaling => "scaling",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Classify => "Classify",
            Tab::Compare => "Compare variants",
            Tab::Scaling => "Scaling explained",
        }
    }
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
            cam: RwSignal::new(CamSettings::default()),
            measured: RwSignal::new(Measurements::new()),
            compare: RwSignal::new(CompareState::default()),
            tab: RwSignal::new(
                js::query_param("view")
                    .and_then(|v| Tab::ALL.into_iter().find(|t| t.id() == v))
                    .unwrap_or(Tab::Classify),
            ),
            offline: RwSignal::new(OfflineState::default()),
        }
    }
}

/// Loads the selected variant and, when there is a still image (and the webcam is off, which
/// has its own loop), classifies it again.
pub(crate) fn refresh(state: AppState) {
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
                if models::ensure_model(state, variant, kind).await.is_ok()
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

/// The CPU backend's matrix products (burn Flex → the `gemm` crate) have WebAssembly SIMD
/// kernels compiled in, but gemm only uses them when told to (its `wasm-simd128-enable` feature
/// or this switch). Every browser with WebGPU runs wasm SIMD. `?simd=off` leaves them off, to
/// compare.
pub fn enable_wasm_simd() {
    gemm_common::set_wasm_simd128(js::query_param("simd").as_deref() != Some("off"));
}

/// Whether the CPU backend's matrix products use wasm SIMD (`window.__effnet.wasmSimd`).
pub fn wasm_simd() -> bool {
    gemm_common::get_wasm_simd128()
}

/// How long a variant choice must stand before its network is loaded and run: arrowing or
/// clicking through variants starts no work for the ones passed over (a load or a cold run
/// holds the main thread for a few hundred milliseconds on WebGPU).
const SWITCH_SETTLE_MS: i32 = 250;

/// Shows `variant` from now on: results of other variants still running are dropped, and its
/// network is loaded once the choice has stood for [`SWITCH_SETTLE_MS`].
pub fn select_variant(state: AppState, variant: Variant) {
    if state.variant.get_untracked() == variant {
        return;
    }
    let generation = inference::bump_generation();
    state.variant.set(variant);
    state.result.set(None);
    state.error.set(None);
    state.load.set(LoadState::Idle);
    spawn_local(async move {
        js::sleep(SWITCH_SETTLE_MS).await;
        // Another variant, image or backend since: that request does the work.
        if inference::generation() == generation {
            refresh(state);
        }
    });
}

/// Tries the variant on screen again after its load failed (a broken-off download resumes).
pub fn retry_load(state: AppState) {
    inference::bump_generation();
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
    offline::install(state);
    let dragging = RwSignal::new(false);
    image_input::install_global_listeners(state, dragging);

    spawn_local(async move {
        let manifest = weights::load_manifest().await;
        if let ManifestState::Failed(why) = &manifest {
            state.error.set(Some(format!("the weights manifest cannot be read, so every variant is randomly initialised: {why}")));
        }
        state.manifest.set(manifest);
        offline::scan(state);
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
                <OfflineStatus/>
                <Show when=move || state.error.with(Option::is_some)>
                    <div class="error" data-testid="error" role="alert">
                        <span data-testid="error-message">{move || state.error.get().unwrap_or_default()}</span>
                        <Show when=move || state.error.with(|e| e.as_deref().is_some_and(|m| m.ends_with(models::LOAD_FAILED)))>
                            <button class="retry" data-testid="retry" on:click=move |_| retry_load(state)>
                                "Retry"
                            </button>
                        </Show>
                        <button class="dismiss" aria-label="Dismiss" on:click=move |_| state.error.set(None)>
                            "×"
                        </button>
                    </div>
                </Show>
            </header>
            <nav class="tabs" role="tablist">
                {Tab::ALL
                    .into_iter()
                    .map(|t| view! {
                        <button
                            role="tab"
                            class="tab"
                            data-testid=format!("tab-{}", t.id())
                            aria-selected=move || (state.tab.get() == t).to_string()
                            on:click=move |_| state.tab.set(t)
                        >
                            {t.label()}
                        </button>
                    })
                    .collect_view()}
            </nav>
            <main>
                <div class="column" class:hidden=move || state.tab.get() == Tab::Scaling>
                    <ImageInput/>
                    <div class:hidden=move || state.tab.get() != Tab::Classify>
                        <Webcam/>
                    </div>
                    <BackendPanel/>
                </div>
                <div class="column" class:hidden=move || state.tab.get() != Tab::Classify>
                    <Predictions/>
                </div>
                <div class="column compare-column" class:hidden=move || state.tab.get() != Tab::Compare>
                    <CompareView/>
                </div>
                <div class="column wide" class:hidden=move || state.tab.get() != Tab::Scaling>
                    <ScalingView/>
                </div>
                <div class="column wide" class:hidden=move || state.tab.get() != Tab::Classify>
                    <VariantPanel/>
                    <bench::BenchPanel/>
                </div>
            </main>
            <div class="drop-overlay" aria-hidden="true">"Drop the image to classify it"</div>
        </div>
    }
}
