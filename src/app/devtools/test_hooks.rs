//! `window.__effnet`: the page's typed test contract, a [`Contract`] serialised whenever the
//! state changes. Browser tests and the bench scripts read it and wait on its values — its
//! [`Phase`] above all — never on the words the page shows.

use std::rc::Rc;

use leptos::prelude::*;
use serde::Serialize;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::Closure;

use super::{memory_sample, prepcheck};
use crate::app::actions::{App, worker};
use crate::app::engine::{depthwise_gpu, preprocess_gpu, wasm_simd};
use crate::app::platform::image::{self, Readback};
use crate::app::platform::js;
use crate::app::state::activation_map::CamSettings;
use crate::app::state::activity::{Activity, Phase};
use crate::app::state::backend::{AdapterInfo, BackendInfo, GpuStart, RunsIn, choice_now};
use crate::app::state::bench::{BenchState, MemorySample};
use crate::app::state::compare::CompareState;
use crate::app::state::error::ErrorReport;
use crate::app::state::load::{LoadState, ManifestState};
use crate::app::state::measurements::Measured;
use crate::app::state::offline::OfflineState;
use crate::app::state::results::RunResult;
use crate::app::state::webcam::WebcamStats;

/// What a test can read of the page.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Contract {
    /// Start-up is over: a backend runs and the manifest's fetch has ended.
    started: bool,
    /// The visitor's current request: results of it carry this number.
    generation: u64,
    /// What it works on, as the page names it.
    input: Option<String>,
    /// What the page is doing now.
    phase: Phase,
    /// The same, with its details (the status line is its `Display`).
    activity: Activity,
    /// The status line's words (for people reading a failed test, not for waiting on).
    status: String,
    /// Whether a network is running now (the engine's session).
    engine_busy: bool,
    backend: Option<&'static str>,
    gpu: GpuReport,
    /// Why this backend: `effnet::estimate::Reason` with the latencies measured here.
    choice: Option<effnet::estimate::Reason>,
    /// The line that says so.
    notice: Option<String>,
    /// The sample the current request classifies, if it is one.
    sample: Option<&'static str>,
    variant: &'static str,
    error: Option<ErrorReport>,
    manifest: ManifestReport,
    load: LoadReport,
    result_count: u64,
    last_result: Option<RunResult>,
    webcam: WebcamStats,
    tab: &'static str,
    compare: CompareState,
    measured: Vec<MeasuredReport>,
    cam: CamReport,
    depthwise: DepthwiseReport,
    worker: Option<WorkerReport>,
    runs_in: RunsInReport,
    offline: OfflineState,
    /// Read whenever the state changes (tests compare readings around a step).
    memory: Option<MemorySample>,
    wasm_simd: bool,
    preprocess: PreprocessReport,
    bench: Option<BenchState>,
}

/// How WebGPU started: `state` is `starting`, `notAsked`, `unavailable`, `failed` or `ready`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GpuReport {
    state: &'static str,
    why: Option<String>,
    adapter: Option<AdapterInfo>,
}

impl From<&BackendInfo> for GpuReport {
    fn from(b: &BackendInfo) -> Self {
        let (state, why, adapter) = match &b.gpu {
            None => ("starting", None, None),
            Some(GpuStart::NotAsked) => ("notAsked", None, None),
            Some(GpuStart::Unavailable(why)) => ("unavailable", Some(why.clone()), None),
            Some(GpuStart::Failed(why)) => ("failed", Some(why.clone()), None),
            Some(GpuStart::Ready(info)) => ("ready", None, Some(info.clone())),
        };
        Self {
            state,
            why,
            adapter,
        }
    }
}

/// `state`: `loading`, `missing`, `failed` or `loaded` (with its variants).
#[derive(Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
enum ManifestReport {
    Loading,
    Missing,
    Failed { error: ErrorReport },
    Loaded { variants: Vec<String> },
}

impl From<&ManifestState> for ManifestReport {
    fn from(m: &ManifestState) -> Self {
        match m {
            ManifestState::Loading => Self::Loading,
            ManifestState::Missing => Self::Missing,
            ManifestState::Failed(e) => Self::Failed { error: e.into() },
            ManifestState::Loaded(m) => Self::Loaded {
                variants: m.weights.iter().map(|e| e.variant.clone()).collect(),
            },
        }
    }
}

/// The load of the variant on screen: `state` is `idle`, `downloading`, `preparing`, `loaded`
/// or `failed`.
#[derive(Serialize)]
#[serde(
    tag = "state",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
enum LoadReport {
    Idle,
    Downloading {
        variant: &'static str,
        loaded: u64,
        total: u64,
    },
    Preparing {
        variant: &'static str,
    },
    Loaded {
        variant: &'static str,
        pretrained: bool,
        from_cache: bool,
        ms: f64,
    },
    Failed {
        variant: &'static str,
        error: ErrorReport,
    },
}

impl From<&LoadState> for LoadReport {
    fn from(l: &LoadState) -> Self {
        match l {
            LoadState::Idle => Self::Idle,
            LoadState::Downloading {
                variant,
                loaded,
                total,
            } => Self::Downloading {
                variant: variant.name(),
                loaded: *loaded,
                total: *total,
            },
            LoadState::Preparing { variant, .. } => Self::Preparing {
                variant: variant.name(),
            },
            LoadState::Loaded {
                variant,
                pretrained,
                from_cache,
                ms,
            } => Self::Loaded {
                variant: variant.name(),
                pretrained: *pretrained,
                from_cache: *from_cache,
                ms: *ms,
            },
            LoadState::Failed { variant, error } => Self::Failed {
                variant: variant.name(),
                error: error.into(),
            },
        }
    }
}

#[derive(Serialize)]
struct MeasuredReport {
    variant: &'static str,
    backend: &'static str,
    measured: Measured,
}

#[derive(Serialize)]
struct CamReport {
    enabled: bool,
    class: Option<usize>,
}

impl From<CamSettings> for CamReport {
    fn from(c: CamSettings) -> Self {
        Self {
            enabled: c.enabled,
            class: c.class,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DepthwiseReport {
    kernel_launches: u32,
    kernel_declined: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkerReport {
    images_received: u32,
    frames_received: u32,
}

/// Where the networks run: `where` is `starting`, `worker` or `page` (with why).
#[derive(Serialize)]
struct RunsInReport {
    #[serde(rename = "where")]
    place: &'static str,
    why: Option<String>,
}

impl From<&RunsIn> for RunsInReport {
    fn from(r: &RunsIn) -> Self {
        match r {
            RunsIn::Starting => Self {
                place: "starting",
                why: None,
            },
            RunsIn::Worker => Self {
                place: "worker",
                why: None,
            },
            RunsIn::Page(why) => Self {
                place: "page",
                why: Some(why.clone()),
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PreprocessReport {
    gpu_runs: u32,
    checks: Vec<serde_json::Value>,
}

/// Mirrors the state into `window.__effnet` whenever it changes, and installs
/// `window.__effnetDecode` and `window.__effnetCrashWorker`.
pub fn install(app: App, checks: Rc<prepcheck::Checks>) {
    let state = app.state;
    install_decode();
    install_crash(app);
    Effect::new(move |_| {
        let backend = state.backend.get();
        let screen = state.screen.get();
        let variant = state.variant.get();
        let (choice, notice) = state
            .measured
            .with(|m| choice_now(&backend, m, variant))
            .map_or((None, None), |(reason, line)| (Some(reason), line));
        // The worker's counters when the networks run there (as of its last reply).
        let worker = app.engine().remote().and_then(|r| r.stats());
        let (kernel_launches, kernel_declined) = worker
            .map(|w| (w.depthwise_launched, w.depthwise_declined))
            .unwrap_or_else(depthwise_gpu::counts);
        let contract = Contract {
            started: backend.active.is_some()
                && !matches!(state.manifest.get(), ManifestState::Loading),
            generation: screen.generation,
            input: screen.input.clone(),
            phase: screen.activity.phase(),
            status: screen.activity.to_string(),
            activity: screen.activity,
            engine_busy: state.engine_busy.get(),
            backend: backend.active.map(|k| k.id()),
            gpu: (&backend).into(),
            notice,
            choice,
            sample: state.sample.get(),
            variant: variant.name(),
            error: state.error.with(|e| e.as_ref().map(ErrorReport::from)),
            manifest: state.manifest.with(|m| ManifestReport::from(m)),
            load: state.load.with(|l| LoadReport::from(l)),
            result_count: state.result_count.get(),
            last_result: state.result.get(),
            webcam: state.webcam.get(),
            tab: state.tab.get().id(),
            compare: state.compare.get(),
            measured: state.measured.with(|m| {
                m.iter()
                    .map(|((v, b), x)| MeasuredReport {
                        variant: v.name(),
                        backend: b,
                        measured: *x,
                    })
                    .collect()
            }),
            cam: state.cam.get().into(),
            depthwise: DepthwiseReport {
                kernel_launches,
                kernel_declined,
            },
            worker: worker.map(|w| WorkerReport {
                images_received: w.images_received,
                frames_received: w.frames_received,
            }),
            runs_in: (&backend.runs_in).into(),
            offline: state.offline.get(),
            memory: backend.active.map(|kind| memory_sample(app, 0, kind)),
            wasm_simd: wasm_simd(),
            preprocess: PreprocessReport {
                gpu_runs: worker.map_or_else(preprocess_gpu::runs, |w| w.gpu_preprocess_runs),
                checks: checks.all(),
            },
            bench: state.bench.get(),
        };
        let json = serde_json::to_string(&contract).unwrap_or_else(|_| "null".into());
        let parsed = js_sys::JSON::parse(&json).unwrap_or(JsValue::NULL);
        js::set(&js::window().into(), "__effnet", &parsed);
    });
}

/// `window.__effnetDecode(blob)`: the RGB the page's decoder gives for a file, exactly what a
/// classification of it starts from: `{ width, height, rgb: Uint8Array }` or `{ error }`.
fn install_decode() {
    let readback = Rc::new(Readback::default());
    let decode =
        Closure::<dyn Fn(web_sys::Blob) -> js_sys::Promise>::new(move |blob: web_sys::Blob| {
            let readback = readback.clone();
            wasm_bindgen_futures::future_to_promise(async move {
                let out = js_sys::Object::new();
                match image::decode_blob(&blob, &readback).await {
                    Ok(decoded) => {
                        js::set(&out, "width", &(decoded.image.width as u32).into());
                        js::set(&out, "height", &(decoded.image.height as u32).into());
                        let rgb = js_sys::Uint8Array::from(decoded.image.data.as_slice());
                        js::set(&out, "rgb", &rgb.into());
                    }
                    Err(e) => js::set(&out, "error", &e.to_string().into()),
                }
                Ok(out.into())
            })
        });
    js::set(&js::window().into(), "__effnetDecode", decode.as_ref());
    // Lives as long as the page.
    decode.forget();
}

/// `window.__effnetCrashWorker()`: makes the engine's worker trap, as a crash would (tests of
/// the restart); `false` when the networks do not run in a worker.
fn install_crash(app: App) {
    let crash = Closure::<dyn Fn() -> bool>::new(move || worker::crash(app));
    js::set(&js::window().into(), "__effnetCrashWorker", crash.as_ref());
    crash.forget();
}
