//! Models in memory and running them: weights or random initialisation, preprocessing, one
//! forward pass, an asynchronous readback, ranking on the CPU.
//!
//! A generation counter ties results to what the visitor asked for last: changing variant,
//! backend or image bumps it, and a run that finishes under an older generation is dropped.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;

use burn::tensor::{Tensor, TensorData};
use effnet::predict::{Prediction, top_predictions};
use effnet::preprocess::{Preprocessing, RgbImage};
use effnet::weights::{Source, web};
use effnet::{EfficientNet, Variant};
use leptos::prelude::*;
use serde::Serialize;

use super::backend::{self, BackendKind};
use super::weights::{self, ManifestState, Origin};
use super::{AppState, js};

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

/// Where the pixels of a run came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    Image,
    Webcam,
}

/// One classification, as shown and as published to `window.__effnet`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub generation: u64,
    pub variant: String,
    pub backend: String,
    pub pretrained: bool,
    pub weights: String,
    pub input: String,
    pub kind: InputKind,
    pub top5: Vec<Prediction>,
    pub preprocess_ms: f64,
    /// Main-thread time spent in `forward` before the readback was awaited.
    pub submit_ms: f64,
    /// Forward pass and readback of this run.
    pub latency_ms: f64,
    /// Whether this was the model's first (cold) run.
    pub cold: bool,
    pub cold_ms: Option<f64>,
    /// Median of the warm runs so far.
    pub warm_median_ms: Option<f64>,
    pub warm_runs: usize,
    pub crop_size: usize,
    #[serde(skip)]
    pub crop: Arc<RgbImage>,
}

/// How many networks stay in memory (B7 alone is ~265 MB of f32 parameters).
const KEEP_MODELS: usize = 2;

type Key = (Variant, BackendKind);

thread_local! {
    static MODELS: RefCell<Vec<(Key, Rc<Loaded>)>> = const { RefCell::new(Vec::new()) };
    static LOADING: RefCell<HashSet<Key>> = RefCell::new(HashSet::new());
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    static BUSY: Cell<bool> = const { Cell::new(false) };
    /// The last still image, re-run when the variant or backend changes.
    static IMAGE: RefCell<Option<(Rc<RgbImage>, String)>> = const { RefCell::new(None) };
}

pub fn generation() -> u64 {
    GENERATION.with(Cell::get)
}

/// Invalidates every run in flight.
pub fn bump_generation() -> u64 {
    GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    })
}

/// Whether a model is running now (webcam frames are dropped meanwhile).
pub fn busy() -> bool {
    BUSY.with(Cell::get)
}

struct BusyGuard;

impl BusyGuard {
    fn new() -> Self {
        BUSY.with(|b| b.set(true));
        BusyGuard
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        BUSY.with(|b| b.set(false));
    }
}

pub fn set_image(image: Rc<RgbImage>, name: String) {
    IMAGE.with(|i| *i.borrow_mut() = Some((image, name)));
}

pub fn current_image() -> Option<(Rc<RgbImage>, String)> {
    IMAGE.with(|i| i.borrow().clone())
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
}

/// The network for `variant` on `kind`: from memory, or loaded (weights from the manifest, or
/// a random initialisation when it lists none). Progress goes to `state.load` while `variant`
/// is the one on screen.
pub async fn ensure_model(
    state: AppState,
    variant: Variant,
    kind: BackendKind,
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
    LOADING.with(|l| l.borrow_mut().insert(key));
    let result = load(state, variant, kind).await;
    LOADING.with(|l| l.borrow_mut().remove(&key));
    let show = |s: LoadState| {
        if state.variant.get_untracked() == variant {
            state.load.set(s);
        }
    };
    match result {
        Ok(model) => {
            let model = Rc::new(model);
            remember(key, model.clone());
            Ok(model)
        }
        Err(message) => {
            show(LoadState::Failed {
                variant,
                message: message.clone(),
            });
            if state.variant.get_untracked() == variant {
                state
                    .error
                    .set(Some(format!("{message}. Other variants still work.")));
            }
            Err(message)
        }
    }
}

async fn load(state: AppState, variant: Variant, kind: BackendKind) -> Result<Loaded, String> {
    let show = |s: LoadState| {
        if state.variant.get_untracked() == variant {
            state.load.set(s);
        }
    };
    let device = backend::device(kind)
        .ok_or_else(|| format!("the {} backend is not ready", kind.label()))?;
    let started = js::now();
    let entry = state.manifest.with_untracked(|m| m.entry(variant));
    let loaded = match entry {
        Some(entry) => {
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
            let (bytes, origin) = weights::fetch_weights(&entry, &progress)
                .await
                .map_err(|e| format!("{variant}: {e}"))?;
            show(LoadState::Preparing {
                variant,
                what: format!("building {variant} on {}", kind.label()),
            });
            js::sleep(0).await;
            let (_config, model) = web::load(&bytes, Some(variant.name()), &device)
                .map_err(|e| format!("{variant}: {e}"))?;
            let ms = js::now() - started;
            show(LoadState::Ready {
                variant,
                pretrained: true,
                from_cache: origin == Origin::Cache,
                ms,
            });
            Loaded {
                model,
                preprocessing: entry.preprocessing.clone(),
                weights: Some(weights::describe_entry(&entry)),
                cold_ms: Cell::new(None),
                warm_ms: RefCell::new(Vec::new()),
            }
        }
        None => {
            show(LoadState::Preparing {
                variant,
                what: format!("initialising {variant} randomly on {}", kind.label()),
            });
            js::sleep(0).await;
            let model = variant.config().init(&device);
            let ms = js::now() - started;
            show(LoadState::Ready {
                variant,
                pretrained: false,
                from_cache: false,
                ms,
            });
            Loaded {
                model,
                preprocessing: Source::preset_preprocessing(variant),
                weights: None,
                cold_ms: Cell::new(None),
                warm_ms: RefCell::new(Vec::new()),
            }
        }
    };
    Ok(loaded)
}

fn median(values: &[f64]) -> Option<f64> {
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

/// Classifies `image` with the variant and backend on screen. Returns `None` (and shows
/// nothing) when the visitor changed something meanwhile; errors go to `state.error`.
pub async fn classify(
    state: AppState,
    image: Rc<RgbImage>,
    input: String,
    kind_of_input: InputKind,
) -> Option<RunResult> {
    let generation = generation();
    let variant = state.variant.get_untracked();
    let kind = state.backend.with_untracked(|b| b.active)?;
    let _busy = BusyGuard::new();
    let stale = || generation != self::generation();

    if kind_of_input == InputKind::Image {
        state.status.set(format!("Loading {variant}…"));
    }
    let loaded = match ensure_model(state, variant, kind).await {
        Ok(m) => m,
        Err(_) => {
            // ensure_model has shown the message.
            if !stale() {
                state.status.set(format!("{variant} could not be loaded"));
            }
            return None;
        }
    };
    if stale() {
        return None;
    }
    let device = backend::device(kind)?;
    if kind_of_input == InputKind::Image {
        state
            .status
            .set(format!("Running {variant} on {}…", kind.label()));
        // Let the status paint before the synchronous preprocessing (and, on the CPU, the
        // forward pass).
        js::sleep(0).await;
    }
    let t0 = js::now();
    let (input_chw, crop) = loaded.preprocessing.apply(&image);
    let size = loaded.preprocessing.size;
    let t1 = js::now();
    let x = Tensor::<4>::from_data(TensorData::new(input_chw, [1, 3, size, size]), &device);
    let logits = loaded.model.forward(x);
    // Time the main thread was blocked building and submitting the pass (on the CPU backend
    // this is the whole computation; on WebGPU mostly shader compilation on a cold run).
    let submitted = js::now();
    let data = match logits.into_data_async().await {
        Ok(d) => d,
        Err(e) => {
            if !stale() {
                state.error.set(Some(format!(
                    "{variant} on {}: reading the result failed: {e:?}",
                    kind.label()
                )));
            }
            return None;
        }
    };
    let t2 = js::now();
    let logits: Vec<f32> = match data.try_to_vec::<f32>() {
        Ok(v) => v,
        Err(e) => {
            state.error.set(Some(format!("unexpected output: {e:?}")));
            return None;
        }
    };
    let latency = t2 - t1;
    let cold = loaded.cold_ms.get().is_none();
    if cold {
        loaded.cold_ms.set(Some(latency));
    } else {
        loaded.warm_ms.borrow_mut().push(latency);
    }
    if stale() {
        return None;
    }
    let warm = loaded.warm_ms.borrow();
    let result = RunResult {
        generation,
        variant: variant.name().to_string(),
        backend: kind.id().to_string(),
        pretrained: loaded.weights.is_some(),
        weights: loaded
            .weights
            .clone()
            .unwrap_or_else(|| "no weights here: random initialisation".into()),
        input,
        kind: kind_of_input,
        top5: top_predictions(&logits, 5),
        preprocess_ms: t1 - t0,
        submit_ms: submitted - t1,
        latency_ms: latency,
        cold,
        cold_ms: loaded.cold_ms.get(),
        warm_median_ms: median(&warm),
        warm_runs: warm.len(),
        crop_size: size,
        crop: Arc::new(crop),
    };
    state.result.set(Some(result.clone()));
    state.result_count.update(|n| *n += 1);
    if kind_of_input == InputKind::Image {
        state.status.set(format!(
            "{variant} on {}: done in {latency:.0} ms",
            kind.label()
        ));
    }
    Some(result)
}
