//! The only code that writes the page's signals: what a click, a drop, a frame or start-up
//! does. Actions run the [`Engine`] (through [`App`], which the composition root makes once and
//! the views hand to every action) and the [`platform`](crate::app::platform), and turn their
//! values into state.

pub mod classify;
pub mod compare;
pub mod explorer;
pub mod image;
pub mod load;
pub mod offline;
mod precision;
mod warm_up;
pub mod webcam;
pub mod worker;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use effnet::Variant;
use effnet::session::Interest;
use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Shared};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::engine::Engine;
use crate::app::platform::camera::Camera;
use crate::app::platform::image::Readback;
use crate::app::platform::{js, storage, weights};
use crate::app::state::activation_map::CamSettings;
use crate::app::state::activity::{Activity, StartStep};
use crate::app::state::backend::{BackendInfo, BackendKind, GpuStart, HalfChoice, RunsIn};
use crate::app::state::error::AppError;
use crate::app::state::load::{LoadState, ManifestState};
use crate::app::state::options::EngineOptions;
use crate::app::state::results::InputKind;
use crate::app::state::{AppState, Tab};
use crate::app::transport::host::Browser;
use crate::app::transport::worker_client::WorkerClient;
use classify::classify;
use load::ensure_model;

/// What the page owns beside its signals (made once by [`App::new`]).
struct Owned {
    engine: Rc<Engine>,
    /// The manifest's fetch, awaited by every load (shared: fetched once).
    manifest: Shared<LocalBoxFuture<'static, ManifestState>>,
    camera: Rc<Camera>,
    /// Reads decoded photos' pixels (one WebGL2 context for all).
    readback: Rc<Readback>,
    /// Incremented on every start and stop of the webcam: a frame loop runs while its number
    /// is current.
    webcam_runs: Cell<u64>,
    /// The engine's worker, when the networks run there (it stages the webcam's frames).
    worker: RefCell<Option<WorkerClient>>,
}

/// The actions' handle: the page's state and what it owns (the engine, the camera, the
/// readback, the manifest's fetch). `Copy`, so views keep it in their closures; the
/// composition root provides it as context.
#[derive(Clone, Copy)]
pub struct App {
    pub state: AppState,
    owned: StoredValue<Owned, LocalStorage>,
}

impl App {
    /// Makes the page's engine with the address's options (once, before anything uses it).
    pub fn new(state: AppState) -> Self {
        if storage::f16_failed() {
            state.backend.update(|b| b.f16_failed = true);
        }
        let engine = Engine::new(engine_options(state), Rc::new(Browser::default()));
        let owned = Owned {
            engine: Rc::new(engine),
            manifest: weights::load_manifest().boxed_local().shared(),
            camera: Rc::default(),
            readback: Rc::default(),
            webcam_runs: Cell::new(0),
            worker: RefCell::new(None),
        };
        Self {
            state,
            owned: StoredValue::new_local(owned),
        }
    }

    /// The page's engine.
    pub fn engine(self) -> Rc<Engine> {
        self.owned.with_value(|o| o.engine.clone())
    }

    fn with<T>(self, f: impl FnOnce(&Owned) -> T) -> T {
        self.owned.with_value(f)
    }

    fn camera(self) -> Rc<Camera> {
        self.with(|o| o.camera.clone())
    }

    fn readback(self) -> Rc<Readback> {
        self.with(|o| o.readback.clone())
    }

    /// The engine's worker, when the networks run in one.
    fn worker(self) -> Option<WorkerClient> {
        self.with(|o| o.worker.borrow().clone())
    }

    fn set_worker(self, worker: Option<WorkerClient>) {
        self.with(|o| *o.worker.borrow_mut() = worker);
    }

    /// The manifest, once fetched.
    pub(crate) async fn manifest(self) -> ManifestState {
        self.with(|o| o.manifest.clone()).await
    }
}

/// The engine's options: the address's, with f16 off once it failed in this browser.
pub(crate) fn engine_options(state: AppState) -> EngineOptions {
    let mut options = state.options.with_value(|o| o.engine);
    if state.backend.with_untracked(|b| b.f16_failed) {
        options.f16 = HalfChoice::Off;
    }
    options
}

/// Start-up: the manifest, the backend (WebGPU if possible, the CPU otherwise, with a notice
/// saying why).
pub async fn start(app: App) {
    let state = app.state;
    offline::install(state);
    let manifest = app.manifest().await;
    if let ManifestState::Failed(error) = &manifest {
        state.error.set(Some(error.clone()));
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
    if !(in_worker && worker::start(app, forced_cpu).await) {
        let step = move |step| starting(state, step);
        let gpu = crate::app::transport::gpu::start(&app.engine(), !forced_cpu, step).await;
        let runs_in = state.backend.with_untracked(|b| b.runs_in.clone());
        set_backend(state, gpu, runs_in);
    }
    state.activity.set(Activity::Started);
    // Start WebGL for the photos' readback now, not on the visitor's first photo.
    let readback = app.readback();
    spawn_local(async move { readback.prepare().await });
}

/// Runs models on WebGPU when it started, on the CPU otherwise (saying why).
fn set_backend(state: AppState, gpu: GpuStart, runs_in: RunsIn) {
    let (active, notice) = match &gpu {
        GpuStart::Ready(_) => (BackendKind::WebGpu, None),
        GpuStart::Unavailable(why) | GpuStart::Failed(why) => (
            BackendKind::Cpu,
            Some(format!(
                "WebGPU is not available, so models run on the CPU (slower): {why}."
            )),
        ),
        GpuStart::NotAsked => (BackendKind::Cpu, Some(FORCED_CPU.into())),
    };
    js::log(&format!(
        "effnet: backend {} ({gpu:?}), networks in {runs_in:?}",
        active.id()
    ));
    state.backend.update(|b| {
        *b = BackendInfo {
            active: Some(active),
            gpu: Some(gpu),
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
pub fn refresh(app: App) {
    let state = app.state;
    spawn_local(async move {
        let Some(kind) = state.backend.with_untracked(|b| b.active) else {
            return;
        };
        let variant = state.variant.get_untracked();
        let engine = app.engine();
        match engine.session.image() {
            Some((image, name)) if !webcam::running(app) => {
                classify(app, image, name, InputKind::Image).await;
            }
            _ => {
                let ticket = engine.session.ticket();
                state.activity.set(Activity::Loading { variant });
                let Ok(loaded) =
                    ensure_model(app, variant, kind, Interest::Request(ticket), None).await
                else {
                    return;
                };
                if engine.session.is_current(ticket)
                    && warm_up::run(app, &loaded, variant, kind, ticket).await
                {
                    state.activity.set(Activity::AwaitingImage {
                        variant,
                        backend: kind,
                    });
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
pub fn select_variant(app: App, variant: Variant) {
    if app.state.variant.get_untracked() == variant {
        return;
    }
    let ticket = app.engine().session.supersede();
    show_variant(app, variant);
    spawn_local(async move {
        js::sleep(SWITCH_SETTLE_MS).await;
        // Another variant, image or backend since: that request does the work.
        if app.engine().session.is_current(ticket) {
            refresh(app);
        }
    });
}

/// Puts `variant` on screen with nothing shown for it yet (no re-run).
pub fn show_variant(app: App, variant: Variant) {
    let state = app.state;
    state.variant.set(variant);
    state.result.set(None);
    state.error.set(None);
    state.load.set(LoadState::Idle);
}

/// Tries the variant on screen again after its load failed (a broken-off download resumes).
pub fn retry_load(app: App) {
    app.engine().session.supersede();
    app.state.error.set(None);
    app.state.load.set(LoadState::Idle);
    refresh(app);
}

/// Runs models on `kind` from now on.
pub fn select_backend(app: App, kind: BackendKind) {
    let state = app.state;
    if state.backend.with_untracked(|b| b.active) == Some(kind) || !app.engine().ready(kind) {
        return;
    }
    app.engine().session.supersede();
    state.backend.update(|b| {
        b.active = Some(kind);
        b.notice = None;
    });
    state.result.set(None);
    state.error.set(None);
    refresh(app);
}

pub fn select_tab(app: App, tab: Tab) {
    app.state.tab.set(tab);
}

pub fn dismiss_error(app: App) {
    app.state.error.set(None);
}

/// Shows `activity` in the status line (the dev tools' bench).
pub fn say(app: App, activity: Activity) {
    app.state.activity.set(activity);
}

/// Shows an error (e.g. a drop without a file).
pub fn report(app: App, error: AppError) {
    app.state.error.set(Some(error));
}

/// Changes the activation-map settings every view shares.
pub fn set_cam(app: App, change: impl FnOnce(&mut CamSettings)) {
    app.state.cam.update(change);
}

/// Forgets the cached weights (the variant panel's button).
pub fn clear_weights_cache(app: App) {
    let state = app.state;
    spawn_local(async move {
        match weights::clear().await {
            Ok(()) => state.activity.set(Activity::CacheCleared),
            Err(e) => state.error.set(Some(e)),
        }
    });
}

/// Shows that start-up has reached `step`.
fn starting(state: AppState, step: StartStep) {
    state.activity.set(Activity::Starting { step });
}
