//! The only code that writes the page's signals: what a click, a drop, a frame or start-up
//! does. Actions run the [`Engine`] and the [`platform`](crate::app::platform), and turn their
//! values into state.

pub mod classify;
pub mod compare;
pub mod explorer;
pub mod host;
pub mod image;
pub mod load;
pub mod offline;
mod precision;
mod remote;
mod warm_up;
pub mod webcam;
pub mod worker;

use std::cell::RefCell;
use std::rc::Rc;

use effnet::Variant;
use effnet::session::Interest;
use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Shared};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::engine::Engine;
use crate::app::platform::{gpu, js, storage, weights};
use crate::app::state::activation_map::CamSettings;
use crate::app::state::backend::{BackendInfo, BackendKind, GpuState, HalfChoice, RunsIn};
use crate::app::state::load::{LOAD_FAILED, LoadState, ManifestState};
use crate::app::state::options::EngineOptions;
use crate::app::state::{AppState, Tab};
use classify::classify;
use load::ensure_model;

thread_local! {
    static ENGINE: RefCell<Option<Rc<Engine>>> = const { RefCell::new(None) };
    /// The manifest's fetch, awaited by every load (shared: fetched once).
    static MANIFEST: RefCell<Option<Shared<LocalBoxFuture<'static, ManifestState>>>> =
        const { RefCell::new(None) };
}

/// Makes the page's engine with the address's options (the composition root calls it once,
/// before anything can use the engine).
pub fn init_engine(state: AppState) {
    if storage::f16_failed() {
        state.backend.update(|b| b.f16_failed = true);
    }
    let engine = Engine::new(engine_options(state), Rc::new(host::Browser));
    ENGINE.with(|e| *e.borrow_mut() = Some(Rc::new(engine)));
}

/// The engine's options: the address's, with f16 off once it failed in this browser.
pub(crate) fn engine_options(state: AppState) -> EngineOptions {
    let mut options = state.options.with_value(|o| o.engine);
    if state.backend.with_untracked(|b| b.f16_failed) {
        options.f16 = HalfChoice::Off;
    }
    options
}

/// The page's engine (made by [`init_engine`]).
pub fn engine() -> Rc<Engine> {
    ENGINE
        .with(|e| e.borrow().clone())
        .expect("the engine is made by init_engine before the page mounts")
}

/// The manifest, once fetched.
pub(crate) async fn manifest() -> ManifestState {
    let fetch = MANIFEST.with(|m| {
        m.borrow_mut()
            .get_or_insert_with(|| weights::load_manifest().boxed_local().shared())
            .clone()
    });
    fetch.await
}

/// Start-up: the manifest, the backend (WebGPU if
/// possible, the CPU otherwise, with a notice saying why).
pub async fn start(state: AppState) {
    offline::install(state);
    let manifest = manifest().await;
    if let ManifestState::Failed(why) = &manifest {
        state.error.set(Some(format!(
            "the weights manifest cannot be read, so every variant is randomly initialised: {why}"
        )));
    }
    state.manifest.set(manifest);
    offline::scan(state);
    let (forced_cpu, in_worker) = state.options.with_value(|o| (o.force_cpu, o.worker));
    if !in_worker {
        state.backend.update(|b| {
            b.runs_in = RunsIn::Page(
                "the address asks for it (?worker=off, or a dev tool that needs the network here)"
                    .into(),
            )
        });
    }
    if !(in_worker && worker::start(state, forced_cpu).await) {
        start_backend(state, forced_cpu).await;
    }
    state.status.set("Ready".into());
    // Start WebGL for the photos' readback now, not on the visitor's first photo.
    spawn_local(crate::app::platform::image::prepare_readback());
}

async fn start_backend(state: AppState, forced_cpu: bool) {
    let runs_in = state.backend.with_untracked(|b| b.runs_in.clone());
    if forced_cpu {
        return set_backend(state, GpuState::Skipped, runs_in);
    }
    state.status.set("Looking for WebGPU…".into());
    let gpu = match gpu::probe_adapter().await {
        Err(why) => GpuState::Unavailable(why),
        Ok(info) => {
            state.status.set("Starting burn on WebGPU…".into());
            match gpu::init_wgpu().await {
                Ok(device) => {
                    engine().set_gpu(device);
                    GpuState::Ready(info)
                }
                Err(why) => GpuState::Failed(format!(
                    "burn could not start on WebGPU ({}): {why}",
                    info.summary()
                )),
            }
        }
    };
    set_backend(state, gpu, runs_in);
}

/// Runs models on WebGPU when it started, on the CPU otherwise (saying why).
fn set_backend(state: AppState, gpu: GpuState, runs_in: RunsIn) {
    let (active, notice) = match &gpu {
        GpuState::Ready(_) => (BackendKind::WebGpu, None),
        GpuState::Unavailable(why) | GpuState::Failed(why) => (
            BackendKind::Cpu,
            Some(format!(
                "WebGPU is not available, so models run on the CPU (slower): {why}."
            )),
        ),
        GpuState::Skipped => (BackendKind::Cpu, Some(FORCED_CPU.into())),
        GpuState::Probing => (BackendKind::Cpu, None),
    };
    js::log(&format!(
        "effnet: backend {} ({gpu:?}), networks in {runs_in:?}",
        active.id()
    ));
    state.backend.update(|b| {
        *b = BackendInfo {
            active: Some(active),
            gpu,
            notice,
            runs_in,
            // Kept across the worker's restarts.
            f16_failed: b.f16_failed,
        }
    });
}

const FORCED_CPU: &str = "CPU backend chosen by the address (?backend=cpu); WebGPU was not tried.";

/// Loads the selected variant and, when there is a still image (and the webcam is off, which
/// has its own loop), classifies it again.
pub fn refresh(state: AppState) {
    spawn_local(async move {
        let Some(kind) = state.backend.with_untracked(|b| b.active) else {
            return;
        };
        let variant = state.variant.get_untracked();
        let engine = engine();
        match engine.session.image() {
            Some((image, name)) if !webcam::running() => {
                classify(
                    state,
                    image,
                    name,
                    crate::app::state::results::InputKind::Image,
                )
                .await;
            }
            _ => {
                let ticket = engine.session.ticket();
                let Ok(loaded) =
                    ensure_model(state, variant, kind, Interest::Request(ticket), None).await
                else {
                    return;
                };
                if engine.session.is_current(ticket)
                    && warm_up::run(state, &loaded, variant, kind, ticket).await
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
    let ticket = engine().session.supersede();
    show_variant(state, variant);
    spawn_local(async move {
        js::sleep(SWITCH_SETTLE_MS).await;
        // Another variant, image or backend since: that request does the work.
        if engine().session.is_current(ticket) {
            refresh(state);
        }
    });
}

/// Puts `variant` on screen with nothing shown for it yet (no re-run).
pub fn show_variant(state: AppState, variant: Variant) {
    state.variant.set(variant);
    state.result.set(None);
    state.error.set(None);
    state.load.set(LoadState::Idle);
}

/// Tries the variant on screen again after its load failed (a broken-off download resumes).
pub fn retry_load(state: AppState) {
    engine().session.supersede();
    state.error.set(None);
    state.load.set(LoadState::Idle);
    refresh(state);
}

/// Runs models on `kind` from now on.
pub fn select_backend(state: AppState, kind: BackendKind) {
    if state.backend.with_untracked(|b| b.active) == Some(kind) || !engine().ready(kind) {
        return;
    }
    engine().session.supersede();
    state.backend.update(|b| {
        b.active = Some(kind);
        b.notice = None;
    });
    state.result.set(None);
    state.error.set(None);
    refresh(state);
}

pub fn select_tab(state: AppState, tab: Tab) {
    state.tab.set(tab);
}

pub fn dismiss_error(state: AppState) {
    state.error.set(None);
}

/// Shows `status` in the status line.
pub fn say(state: AppState, status: String) {
    state.status.set(status);
}

/// Shows an error (e.g. a drop without a file).
pub fn report(state: AppState, message: String) {
    state.error.set(Some(message));
}

/// Whether the error on screen is a failed load (which the Retry button retries).
pub fn is_load_failure(message: &str) -> bool {
    message.ends_with(LOAD_FAILED)
}

/// Changes the activation-map settings every view shares.
pub fn set_cam(state: AppState, change: impl FnOnce(&mut CamSettings)) {
    state.cam.update(change);
}

/// Forgets the cached weights (the variant panel's button).
pub fn clear_weights_cache(state: AppState) {
    spawn_local(async move {
        match weights::clear_cache().await {
            Ok(()) => state
                .status
                .set("Cached weights forgotten: the next load downloads again".into()),
            Err(e) => state
                .error
                .set(Some(format!("cannot clear the weights cache: {e}"))),
        }
    });
}
