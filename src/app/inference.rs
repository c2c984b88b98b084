//! Classifying with the variant and backend on screen, and publishing the result.
//!
//! A generation counter ties results to what the visitor asked for last: changing variant,
//! backend or image bumps it, and a run that finishes under an older generation is dropped.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use effnet::predict::Prediction;
use effnet::preprocess::RgbImage;
use leptos::prelude::*;
use serde::Serialize;

use super::AppState;
use super::models::ensure_model_for;
use super::run::{Cams, run_model};

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
    /// Whether the crop and normalisation ran on the GPU (their time is then in `latency_ms`).
    pub gpu_preprocess: bool,
    /// Main-thread time spent preprocessing and building the pass (on the CPU backend:
    /// computing it, in slices between which the page stays responsive).
    pub busy_ms: f64,
    /// Times the CPU path gave the event loop a turn during this run.
    pub yields: u32,
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
    /// Class activation maps of the top-5 classes (when the overlay is on).
    #[serde(skip)]
    pub cams: Option<Arc<Cams>>,
    /// Where the top class's map peaks, in crop pixels (centre of the peak cell).
    pub cam_peak: Option<[f64; 2]>,
}

thread_local! {
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

/// The centre of the peak cell of `class`'s map, in pixels of a `size`-square crop.
pub fn cam_peak(cams: &Cams, class: usize, size: usize) -> Option<[f64; 2]> {
    let (row, col) = cams.peak(class)?;
    let x = (col as f64 + 0.5) * size as f64 / cams.width as f64;
    let y = (row as f64 + 0.5) * size as f64 / cams.height as f64;
    Some([x, y])
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
    let not_stale = || !stale();
    let Ok(loaded) = ensure_model_for(state, variant, kind, &|_| {}, &not_stale).await else {
        // ensure_model has shown the message.
        if !stale() {
            state.status.set(format!("{variant} could not be loaded"));
        }
        return None;
    };
    if stale() {
        return None;
    }
    if kind_of_input == InputKind::Image {
        state
            .status
            .set(format!("Running {variant} on {}…", kind.label()));
        // Let the status paint before the synchronous preprocessing.
        super::js::sleep(0).await;
    }
    let with_cams = state.cam.with_untracked(|c| c.enabled);
    let out = match run_model(&loaded, &image, kind, with_cams, &stale).await {
        Ok(Some(out)) => out,
        Ok(None) => return None,
        Err(e) => {
            if !stale() {
                state
                    .error
                    .set(Some(format!("{variant} on {}: {e}", kind.label())));
            }
            return None;
        }
    };
    let timings = loaded.record(out.latency_ms);
    if stale() {
        return None;
    }
    let cam_peak = out
        .cams
        .as_ref()
        .and_then(|c| cam_peak(c, out.top5.first()?.index, out.crop_size));
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
        top5: out.top5,
        preprocess_ms: out.preprocess_ms,
        gpu_preprocess: out.gpu_preprocess,
        busy_ms: out.busy_ms,
        yields: out.yields,
        latency_ms: out.latency_ms,
        cold: timings.cold,
        cold_ms: timings.cold_ms,
        warm_median_ms: timings.warm_median_ms,
        warm_runs: timings.warm_runs,
        crop_size: out.crop_size,
        crop: out.crop,
        cams: out.cams.map(Arc::new),
        cam_peak,
    };
    super::measurements::record(state, variant, kind, &timings);
    state.result.set(Some(result.clone()));
    state.result_count.update(|n| *n += 1);
    if kind_of_input == InputKind::Image {
        state.status.set(format!(
            "{variant} on {}: done in {:.0} ms",
            kind.label(),
            result.latency_ms
        ));
    }
    Some(result)
}
