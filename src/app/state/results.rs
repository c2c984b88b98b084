//! What a run produced, as the page shows and publishes it.

use std::sync::Arc;

use effnet::predict::Prediction;
use effnet::preprocess::RgbImage;
use serde::Serialize;

use super::backend::Precision;

/// Where the pixels of a run came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    Image,
    Webcam,
}

/// Where the visitor's wait for a result went (ms). The parts add up to `RunResult::waited_ms`
/// but for drawing the result and the page's own overheads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Parts {
    /// Before the network was asked for: decoding the picture, or the moment a variant choice
    /// must stand before work starts.
    pub before_ms: f64,
    /// Getting the network: from memory, or downloaded and built.
    pub load_ms: f64,
    /// Waiting for work queued before (a superseded pass finishing on the GPU).
    pub queue_ms: f64,
    /// To the engine's worker and back (the pixels, the messages, the worker's own queue).
    pub transfer_ms: f64,
    /// Preparing the input (on the CPU; on the GPU only queueing the crop).
    pub preprocess_ms: f64,
    /// The forward pass and reading its scores back.
    pub run_ms: f64,
    /// Reading the crop and the activation maps back.
    pub readback_ms: f64,
}

impl Parts {
    pub fn sum(&self) -> f64 {
        self.before_ms
            + self.load_ms
            + self.queue_ms
            + self.transfer_ms
            + self.preprocess_ms
            + self.run_ms
            + self.readback_ms
    }
}

/// One classification, as shown and as published to `window.__effnet`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunResult {
    pub generation: u64,
    pub variant: String,
    pub backend: String,
    pub pretrained: bool,
    pub weights: String,
    /// The float type the network computed in.
    pub precision: Precision,
    pub input: String,
    pub kind: InputKind,
    pub top5: Vec<Prediction>,
    pub preprocess_ms: f64,
    /// Whether the crop and normalisation ran on the GPU (their time is then in `latency_ms`).
    pub gpu_preprocess: bool,
    /// Main-thread time spent preprocessing and building the pass (on the CPU backend:
    /// computing it, in slices between which the page stays responsive).
    pub busy_ms: f64,
    /// Whether the engine's worker ran it (`busy_ms` is then the worker's time, not the page's).
    pub in_worker: bool,
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
    /// What the visitor waited: from the click (or the frame) to this result.
    pub waited_ms: f64,
    pub parts: Parts,
    pub crop_size: usize,
    /// The size of the picture the network was given (before its crop).
    pub source_size: [usize; 2],
    #[serde(skip)]
    pub crop: Arc<RgbImage>,
    /// Class activation maps of the top-5 classes (when the overlay is on).
    #[serde(skip)]
    pub cams: Option<Arc<Cams>>,
    /// Where the top class's map peaks, in crop pixels (centre of the peak cell).
    pub cam_peak: Option<[f64; 2]>,
}

/// Class activation maps of some classes, each `height × width`, row-major, in class order.
#[derive(Debug, Clone, PartialEq)]
pub struct Cams {
    pub classes: Vec<usize>,
    pub height: usize,
    pub width: usize,
    pub values: Vec<f32>,
}

impl Cams {
    /// The map of `class`, if it was computed.
    pub fn map(&self, class: usize) -> Option<&[f32]> {
        let k = self.classes.iter().position(|&c| c == class)?;
        let n = self.height * self.width;
        self.values.get(k * n..(k + 1) * n)
    }

    /// The cell where `class`'s map peaks, as `(row, column)`.
    pub fn peak(&self, class: usize) -> Option<(usize, usize)> {
        let map = self.map(class)?;
        let i = (0..map.len()).max_by(|&a, &b| map[a].total_cmp(&map[b]))?;
        Some((i / self.width, i % self.width))
    }
}

/// The centre of the peak cell of `class`'s map, in pixels of a `size`-square crop.
pub fn cam_peak(cams: &Cams, class: usize, size: usize) -> Option<[f64; 2]> {
    let (row, col) = cams.peak(class)?;
    let x = (col as f64 + 0.5) * size as f64 / cams.width as f64;
    let y = (row as f64 + 0.5) * size as f64 / cams.height as f64;
    Some([x, y])
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
