//! Networks in memory: loading a variant (weights from the manifest, or a random
//! initialisation when it lists none) onto a backend, a small most-recently-used cache, and the
//! latencies measured on each loaded network.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;

use effnet::model::{DepthwiseImpl, flex_kernels};
use effnet::preprocess::Preprocessing;
use effnet::weights::{Source, web};
use effnet::{EfficientNet, Variant};
use leptos::prelude::*;

use super::backend::{self, BackendKind};
use super::depthwise_gpu;
use super::weights::{self, ManifestState, Origin};
use super::{AppState, js, offline};

/// A network ready to run.
pub struct Loaded {
    pub model: EfficientNet,
    pub preprocessing: Preprocessing,
    /// `Some(description)` for pretrained weights, `None` for a random initialisation.
    pub weights: Option<String>,
    /// Latency of the first run (shader compilation, allocations) and of later ones.
    cold_ms: Cell<Option<f64>>,
    warm_ms: RefCell<Vec<f64>>,
}

/// Latencies of one network so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timings {
    /// Whether the run just recorded was the first.
    pub cold: bool,
    pub cold_ms: Option<f64>,
    pub warm_median_ms: Option<f64>,
    pub warm_runs: usize,
}

impl Loaded {
    /// A network built here (not from the cache), e.g. the explorer's custom configuration.
    pub fn new(model: EfficientNet, preprocessing: Preprocessing, weights: Option<String>) -> Self {
        Self {
            model,
            preprocessing,
            weights,
            cold_ms: Cell::new(None),
            warm_ms: RefCell::new(Vec::new()),
        }
    }

    /// Records the latency of a run (the first one is the cold run).
    pub fn record(&self, ms: f64) -> Timings {
        let cold = self.cold_ms.get().is_none();
        if cold {
            self.cold_ms.set(Some(ms));
        } else {
            self.warm_ms.borrow_mut().push(ms);
        }
        Timings {
            cold,
            ..self.timings()
        }
    }

    pub fn timings(&self) -> Timings {
        let warm = self.warm_ms.borrow();
        Timings {
            cold: false,
            cold_ms: self.cold_ms.get(),
            warm_median_ms: median(&warm),
            warm_runs: warm.len(),
        }
    }
}

/// What the weights loader is doing, for the variant on screen.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadState {
    Idle,
    Downloading {
        variant: Variant,
        loaded: u64,
        total: u64,
    },
    Preparing {
        variant: Variant,
        what: String,
    },
    Ready {
        variant: Variant,
        pretrained: bool,
        from_cache: bool,
        ms: f64,
    },
    Failed {
        variant: Variant,
        message: String,
    },
}

/// How many networks stay in memory (B7 alone is ~265 MB of f32 parameters).
const KEEP_MODELS: usize = 2;

type Key = (Variant, BackendKind);

thread_local! {
    static MODELS: RefCell<Vec<(Key, Rc<Loaded>)>> = const { RefCell::new(Vec::new()) };
    static LOADING: RefCell<HashSet<Key>> = RefCell::new(HashSet::new());
}

fn cached(key: Key) -> Option<Rc<Loaded>> {
    MODELS.with(|m| {
        let mut models = m.borrow_mut();
        let pos = models.iter().position(|(k, _)| *k == key)?;
        let entry = models.remove(pos);
        let model = entry.1.clone();
        models.push(entry);
        Some(model)
    })
}

fn remember(key: Key, model: Rc<Loaded>) {
    MODELS.with(|m| {
        let mut models = m.borrow_mut();
        models.retain(|(k, _)| *k != key);
        models.push((key, model));
        while models.len() > KEEP_MODELS {
            models.remove(0);
        }
    });
    // The evicted network's tensors went back to the pools: hand the pages back to the GPU.
    if let Some(device) = backend::device(key.1) {
        device.memory_cleanup();
    }
}

/// The network for `variant` on `kind`: from memory, or loaded. Progress goes to `state.load`
/// while `variant` is the one on screen, and to `progress` always.
pub async fn ensure_model(
    state: AppState,
    variant: Variant,
    kind: BackendKind,
) -> Result<Rc<Loaded>, String> {
    ensure_model_for(state, variant, kind, &|_| {}, &|| true).await
}

/// As [`ensure_model`], also reporting every load state to `progress`.
pub async fn ensure_model_with(
    state: AppState,
    variant: Variant,
    kind: BackendKind,
    progress: &dyn Fn(LoadState),
) -> Result<Rc<Loaded>, String> {
    ensure_model_for(state, variant, kind, progress, &|| true).await
}

/// As [`ensure_model_with`], for a caller whose interest may end: once `wanted()` is false the
/// load stops at its next boundary (a downloaded chunk, before building the network) with
/// [`weights::SUPERSEDED`], shows nothing and keeps nothing in memory.
pub async fn ensure_model_for(
    state: AppState,
    variant: Variant,
    kind: BackendKind,
    progress: &dyn Fn(LoadState),
    wanted: &dyn Fn() -> bool,
) -> Result<Rc<Loaded>, String> {
    let key = (variant, kind);
    if let Some(model) = cached(key) {
        return Ok(model);
    }
    // Another task is loading it: wait for that one rather than download twice.
    while LOADING.with(|l| l.borrow().contains(&key)) {
        js::sleep(50).await;
    }
    if let Some(model) = cached(key) {
        return Ok(model);
    }
    while state
        .manifest
        .with_untracked(|m| *m == ManifestState::Loading)
    {
        js::sleep(50).await;
    }
    let show = |s: LoadState| {
        progress(s.clone());
        if state.variant.get_untracked() == variant {
            state.load.set(s);
        }
    };
    LOADING.with(|l| l.borrow_mut().insert(key));
    let result = load(state, variant, kind, &show, wanted).await;
    LOADING.with(|l| l.borrow_mut().remove(&key));
    match result {
        Ok(model) => {
            let model = Rc::new(model);
            remember(key, model.clone());
            // A load that failed before is shown as failed no more.
            state.error.update(|e| {
                if e.as_deref().is_some_and(|m| m.ends_with(LOAD_FAILED)) {
                    *e = None;
                }
            });
            Ok(model)
        }
        Err(message) if message == weights::SUPERSEDED => {
            if state.load.with_untracked(|l| matches!(l, LoadState::Downloading { variant: v, .. } | LoadState::Preparing { variant: v, .. } if *v == variant)) {
                state.load.set(LoadState::Idle);
            }
            Err(message)
        }
        Err(message) => {
            show(LoadState::Failed {
                variant,
                message: message.clone(),
            });
            if state.variant.get_untracked() == variant {
                state.error.set(Some(format!("{message}{LOAD_FAILED}")));
            }
            Err(message)
        }
    }
}

/// How the message of a failed load ends (the next successful load clears such messages).
pub const LOAD_FAILED: &str = ". Other variants still work.";

async fn load(
    state: AppState,
    variant: Variant,
    kind: BackendKind,
    show: &dyn Fn(LoadState),
    wanted: &dyn Fn() -> bool,
) -> Result<Loaded, String> {
    if !wanted() {
        return Err(weights::SUPERSEDED.into());
    }
    let device = backend::device(kind)
        .ok_or_else(|| format!("the {} backend is not ready", kind.label()))?;
    let started = js::now();
    let entry = state.manifest.with_untracked(|m| m.entry(variant));
    let Some(entry) = entry else {
        show(LoadState::Preparing {
            variant,
            what: format!("initialising {variant} randomly on {}", kind.label()),
        });
        js::sleep(0).await;
        if !wanted() {
            return Err(weights::SUPERSEDED.into());
        }
        let model = for_backend(variant.config().init(&device), kind);
        show(LoadState::Ready {
            variant,
            pretrained: false,
            from_cache: false,
            ms: js::now() - started,
        });
        return Ok(Loaded::new(
            model,
            Source::preset_preprocessing(variant),
            None,
        ));
    };
    show(LoadState::Downloading {
        variant,
        loaded: 0,
        total: entry.bytes,
    });
    let progress = |loaded: u64, total: u64| {
        show(LoadState::Downloading {
            variant,
            loaded,
            total,
        })
    };
    let (bytes, origin) = weights::fetch_weights(&entry, &progress, wanted)
        .await
        .map_err(|e| {
            if e == weights::SUPERSEDED {
                e
            } else {
                format!("{variant}: {e}")
            }
        })?;
    match &origin {
        Origin::NetworkNotStored(why) => offline::not_stored(state, variant, why),
        Origin::Cache | Origin::Network => offline::stored(state, variant),
    }
    if !wanted() {
        return Err(weights::SUPERSEDED.into());
    }
    show(LoadState::Preparing {
        variant,
        what: format!("building {variant} on {}", kind.label()),
    });
    js::sleep(0).await;
    if !wanted() {
        return Err(weights::SUPERSEDED.into());
    }
    let (_config, model) =
        web::load(&bytes, Some(variant.name()), &device).map_err(|e| format!("{variant}: {e}"))?;
    let model = for_backend(model, kind);
    show(LoadState::Ready {
        variant,
        pretrained: true,
        from_cache: origin == Origin::Cache,
        ms: js::now() - started,
    });
    Ok(Loaded::new(
        model,
        entry.preprocessing.clone(),
        Some(weights::describe_entry(&entry)),
    ))
}

/// The network as it runs fastest on `kind`: batch norms folded into the convolutions (files
/// written by `effnet convert` are folded already); the depthwise layers run our own kernels
/// (convolution, bias and activation in one pass): [`depthwise_gpu`] on WebGPU, the core's
/// Flex kernels on the CPU, where SiLU is x / (1 + e^−x) computed in place by the core's
/// activation kernel too.
///
/// Bench knobs in the address: `?dw=grouped` runs burn's grouped convolution instead of our
/// depthwise kernels, `?dw=shift` the shift-and-add formulation (slower on SwiftShader, kept to
/// time it on other GPUs); `?act=burn` computes the CPU's activations with burn's operations,
/// `?silu=sigmoid` (CPU) as x·sigmoid(x) with them; `?dwlayout=nchw` has the WebGPU kernel write
/// NCHW instead of channels-last.
pub fn for_backend(model: EfficientNet, kind: BackendKind) -> EfficientNet {
    let model = model.fold_batch_norms();
    let cpu = kind == BackendKind::Cpu;
    let sigmoid = js::query_param("silu").as_deref() == Some("sigmoid");
    let model = if cpu && !sigmoid {
        model.with_exp_silu()
    } else {
        model
    };
    let act_kernel = cpu && !sigmoid && js::query_param("act").as_deref() != Some("burn");
    let model = model.with_activation_kernel(act_kernel.then_some(flex_kernels::ACTIVATION));
    let depthwise = match (js::query_param("dw").as_deref(), kind) {
        (Some("shift"), _) => DepthwiseImpl::ShiftAdd,
        (Some("grouped"), _) => DepthwiseImpl::Grouped,
        (_, BackendKind::Cpu) => flex_kernels::DEPTHWISE,
        (_, BackendKind::WebGpu) if js::query_param("dwlayout").as_deref() == Some("nchw") => {
            depthwise_gpu::KERNEL_NCHW
        }
        (_, BackendKind::WebGpu) => depthwise_gpu::KERNEL,
    };
    model.with_depthwise(depthwise)
}

pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}
