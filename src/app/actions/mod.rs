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
pub mod webcam;
pub mod worker;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use effnet::Variant;
use effnet::session::{Interest, Ticket};
use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Shared};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::engine::Engine;
use crate::app::platform::camera::Camera;
use crate::app::platform::image::Readback;
use crate::app::platform::{js, storage, weights};
use crate::app::state::activation_map::CamSettings;
use crate::app::state::activity::{Activity, Estimate, StartStep};
use crate::app::state::backend::{BackendInfo, BackendKind, GpuStart, HalfChoice, RunsIn};
use crate::app::state::error::AppError;
use crate::app::state::load::{LoadState, ManifestState};
use crate::app::state::options::EngineOptions;
use crate::app::state::results::InputKind;
use crate::app::state::screen::Screen;
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
        engine
            .session
            .on_busy_change(move |busy| state.engine_busy.set(busy));
        let owned = Owned {
            engine: Rc::new(engine),
            manifest: {
                // The address's `?weights=`, else the visitor's choice on an earlier visit.
                let precision = state
                    .options
                    .with_value(|o| o.weights)
                    .or_else(storage::weights_precision);
                weights::load_manifest(precision).boxed_local().shared()
            },
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

    /// Begins a new request on `input`, showing `activity`: every older request is stale from
    /// now on (its work stops and shows nothing), and the screen shows this one.
    pub(crate) fn begin(self, input: Option<String>, activity: Activity) -> Ticket {
        let ticket = self.engine().session.supersede();
        self.state.screen.set(Screen {
            generation: ticket.generation(),
            input,
            activity,
            began_ms: js::now(),
        });
        ticket
    }

    /// Shows how request `ticket` goes: nothing, once a newer request has begun.
    pub(crate) fn show(self, ticket: Ticket, activity: Activity) {
        if self.engine().session.is_current(ticket) {
            self.state.screen.update(|s| {
                if s.generation == ticket.generation() {
                    s.activity = activity;
                }
            });
        }
    }

    /// Names request `ticket`'s input (a picture's name once its size is known).
    pub(crate) fn show_input(self, ticket: Ticket, input: String) {
        if self.engine().session.is_current(ticket) {
            self.state.screen.update(|s| s.input = Some(input));
        }
    }

    /// What a re-run works on: the webcam while it runs, else the current still image.
    fn rerun_input(self) -> Option<String> {
        if webcam::running(self) {
            return Some(webcam::INPUT.into());
        }
        self.engine().session.image().map(|(_, name)| name)
    }

    /// How long `variant` on `kind` should take here, from what was measured: its run (a cold
    /// one when its network has not run) and its download (when its weights are not stored).
    fn estimate(self, variant: Variant, kind: BackendKind, cold: bool) -> Option<Estimate> {
        let state = self.state;
        let measured: Vec<effnet::estimate::Measured> = state.measured.with_untracked(|m| {
            m.iter()
                .filter(|((_, b), _)| *b == kind.id())
                .map(|((v, _), x)| effnet::estimate::Measured {
                    flops: v.config().describe().flops,
                    cold_ms: x.cold_ms,
                    warm_ms: x.warm_median_ms,
                })
                .collect()
        });
        let flops = variant.config().describe().flops;
        let run_ms = if cold {
            effnet::estimate::cold_ms(flops, &measured)?
        } else {
            effnet::estimate::warm_ms(flops, &measured)?
        };
        let stored = state
            .offline
            .with_untracked(|o| o.stored.contains(variant.name()));
        let download_ms = match (stored, state.manifest.with_untracked(|m| m.entry(variant))) {
            (false, Some(entry)) => state
                .throughput
                .get_untracked()
                .map(|bytes_per_ms| entry.bytes as f64 / bytes_per_ms),
            _ => None,
        };
        Some(Estimate {
            download_ms,
            run_ms,
        })
    }
}

/// The visitor picks the weights' precision: it is kept for later visits and the page opens
/// again with it (`?weights=`: the manifest and the networks are set up for one precision);
/// weights already stored in this browser are not downloaded again.
pub fn choose_weights(precision: effnet::weights::web::Precision) {
    storage::remember_weights_precision(precision);
    js::reload_with_param("weights", precision.name());
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
    let (forced_cpu, in_worker) = state
        .options
        .with_value(|o| (o.backend == Some(BackendKind::Cpu), o.worker));
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
    state.screen.update(|s| s.activity = Activity::Started);
    // Start WebGL for the photos' readback now, not on the visitor's first photo.
    let readback = app.readback();
    spawn_local(async move { readback.prepare().await });
}

/// Chooses the backend once WebGPU's start is known: the address's choice, else the faster one
/// (`BackendInfo::choice`: the CPU where WebGPU is a software adapter or missing; WebGPU on a
/// hardware adapter until the CPU measures faster).
fn set_backend(state: AppState, gpu: GpuStart, runs_in: RunsIn) {
    let asked = state.options.with_value(|o| o.backend);
    js::log(&format!("effnet: WebGPU {gpu:?}, networks in {runs_in:?}"));
    state.backend.update(|b| {
        *b = BackendInfo {
            active: None,
            gpu: Some(gpu),
            asked,
            chosen_by_visitor: false,
            runs_in,
            // Kept across the worker's restarts.
            f16_failed: b.f16_failed,
        };
        let (active, _) = b.choice(None, None);
        b.active = Some(active);
    });
}

/// What measurements say now of the backend for `variant`: switches to the faster one when the
/// page chose by itself (the address's and the visitor's choices stand). The current image runs
/// again there.
pub(crate) fn reconsider_backend(app: App, variant: Variant) {
    let state = app.state;
    let warm = |kind: BackendKind| {
        state
            .measured
            .with_untracked(|m| m.get(&(variant, kind.id())).and_then(|x| x.warm_median_ms))
    };
    let (now, wanted) = state.backend.with_untracked(|b| {
        (
            b.active,
            b.choice(warm(BackendKind::WebGpu), warm(BackendKind::Cpu))
                .0,
        )
    });
    if now.is_some_and(|now| now != wanted) && app.engine().ready(wanted) {
        js::log(&format!("effnet: measured faster here: {}", wanted.id()));
        app.begin(app.rerun_input(), Activity::loading(variant, wanted));
        state.backend.update(|b| b.active = Some(wanted));
        refresh(app);
    }
}

/// The sample photo the page opens on: classified as soon as the network is loaded, so the first
/// screen shows a result (and the network's cold run is done before the visitor's first photo).
pub const OPENING_SAMPLE: &str = "coffee.png";

/// Loads the selected variant and classifies the current input with it: the still image (when
/// the webcam is off: it has its own loop), or, before any image, the opening sample
/// (`?warmup=off`: none; the network is only loaded).
pub fn refresh(app: App) {
    let state = app.state;
    spawn_local(async move {
        let Some(kind) = state.backend.with_untracked(|b| b.active) else {
            return;
        };
        let variant = state.variant.get_untracked();
        let engine = app.engine();
        let began = state.screen.with_untracked(|s| s.began_ms);
        match engine.session.image() {
            Some((image, name)) if !webcam::running(app) => {
                classify(app, image, name, InputKind::Image, began).await;
            }
            None if !webcam::running(app)
                && state.options.with_value(|o| o.warm_up)
                && image::open_on_sample(app, OPENING_SAMPLE).await => {}
            _ => {
                let ticket = engine.session.ticket();
                let from = state.shown_variant();
                app.show(
                    ticket,
                    Activity::Loading {
                        variant,
                        backend: kind,
                        from,
                        estimate: None,
                    },
                );
                if ensure_model(app, variant, kind, Interest::Request(ticket), None)
                    .await
                    .is_ok()
                {
                    app.show(
                        ticket,
                        if webcam::running(app) {
                            Activity::Webcam
                        } else {
                            Activity::AwaitingImage {
                                variant,
                                backend: kind,
                            }
                        },
                    );
                } else {
                    app.show(ticket, Activity::LoadFailed { variant });
                }
            }
        }
    });
}

/// How long a variant choice must stand before its network is loaded and run: arrowing or
/// clicking through variants starts no work for the ones passed over (a load or a cold run
/// holds the main thread for a few hundred milliseconds on WebGPU).
const SWITCH_SETTLE_MS: i32 = 250;

/// Shows `variant` from now on: results of other variants still running are dropped, the
/// result on screen stays (marked as the previous one) until the new one comes, and the new
/// variant's network is loaded once the choice has stood for [`SWITCH_SETTLE_MS`].
pub fn select_variant(app: App, variant: Variant) {
    let state = app.state;
    let from = state.variant.get_untracked();
    if from == variant {
        return;
    }
    let Some(kind) = state.backend.with_untracked(|b| b.active) else {
        state.variant.set(variant);
        return;
    };
    let cold = !app.engine().session.kept().contains(&(variant, kind));
    let estimate = app.estimate(variant, kind, cold);
    let shown = state.shown_variant();
    let ticket = app.begin(
        app.rerun_input(),
        Activity::Loading {
            variant,
            backend: kind,
            from: shown.or(Some(from)),
            estimate,
        },
    );
    show_variant(app, variant);
    spawn_local(async move {
        js::sleep(SWITCH_SETTLE_MS).await;
        // Another variant, image or backend since: that request does the work.
        if app.engine().session.is_current(ticket) {
            refresh(app);
        }
    });
}

/// Gives up a variant switch under way: back to the variant whose result is on screen (its
/// network is in memory), at once.
pub fn cancel_switch(app: App) {
    let state = app.state;
    let (Some(previous), Some(kind)) = (
        state.shown_variant(),
        state.backend.with_untracked(|b| b.active),
    ) else {
        return;
    };
    app.begin(app.rerun_input(), Activity::loading(previous, kind));
    show_variant(app, previous);
    refresh(app);
}

/// Puts `variant` on screen (no re-run); the result of the variant before stays until a new one
/// comes, marked as the previous one.
pub fn show_variant(app: App, variant: Variant) {
    let state = app.state;
    state.variant.set(variant);
    state.error.set(None);
    state.load.set(LoadState::Idle);
}

/// Tries the variant on screen again after its load failed (a broken-off download resumes).
pub fn retry_load(app: App) {
    let state = app.state;
    let variant = state.variant.get_untracked();
    let kind = state
        .backend
        .with_untracked(|b| b.active)
        .unwrap_or(BackendKind::Cpu);
    app.begin(app.rerun_input(), Activity::loading(variant, kind));
    state.error.set(None);
    state.load.set(LoadState::Idle);
    refresh(app);
}

/// Runs models on `kind` from now on (the visitor's choice: it stands, whatever is measured).
pub fn select_backend(app: App, kind: BackendKind) {
    let state = app.state;
    if state.backend.with_untracked(|b| b.active) == Some(kind) || !app.engine().ready(kind) {
        return;
    }
    let variant = state.variant.get_untracked();
    app.begin(app.rerun_input(), Activity::loading(variant, kind));
    state.backend.update(|b| {
        b.active = Some(kind);
        b.chosen_by_visitor = true;
    });
    state.error.set(None);
    refresh(app);
}

pub fn select_tab(app: App, tab: Tab) {
    app.state.tab.set(tab);
}

pub fn dismiss_error(app: App) {
    app.state.error.set(None);
}

/// Shows `activity` in the status line for the current request (the dev tools' bench).
pub fn say(app: App, activity: Activity) {
    app.state.screen.update(|s| s.activity = activity);
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
            Ok(()) => state.screen.update(|s| s.activity = Activity::CacheCleared),
            Err(e) => state.error.set(Some(e)),
        }
    });
}

/// Shows that start-up has reached `step`.
fn starting(state: AppState, step: StartStep) {
    state
        .screen
        .update(|s| s.activity = Activity::Starting { step });
}
