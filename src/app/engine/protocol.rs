//! The messages between the page and the engine's Web Worker (`src/app/worker`), as plain
//! serde types. Pixels travel beside a message as bytes (the image to classify, the crop that
//! comes back) and activation maps as floats, never inside the JSON.

use std::sync::Arc;

use effnet::EfficientNetConfig;
use effnet::predict::Prediction;
use effnet::preprocess::{Preprocessing, RgbImage};
use effnet::weights::manifest::ManifestEntry;
use serde::{Deserialize, Serialize};

use super::RunOutput;
use super::ids::{NetId, RequestId};
use crate::app::state::backend::{BackendKind, GpuStart, Precision};
use crate::app::state::bench::MemorySample;
use crate::app::state::error::AppError;
use crate::app::state::load::WeightsOrigin;
use crate::app::state::options::EngineOptions;
use crate::app::state::results::Cams;

/// The page to the worker. Every request carries its [`RequestId`], and every reply to it the
/// same: `Start` is answered by `Started`, `Load` by `Progress`… then `Loaded`, `Run` and
/// `RunFrame` by `Ran`; any of them by `Failed` (with [`AppError::Cancelled`] after `Cancel`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum ToWorker {
    /// Make the engine; start burn on WebGPU too when `gpu`.
    Start {
        id: RequestId,
        options: EngineOptions,
        gpu: bool,
    },
    /// Build a network on `kind`.
    Load {
        id: RequestId,
        kind: BackendKind,
        what: LoadWhat,
    },
    /// Run network `net` on the RGB bytes sent beside this message, or, without bytes, on the
    /// image the last run was sent (a photo runs again after a variant switch, or in every
    /// variant of a comparison, without crossing again).
    Run {
        id: RequestId,
        net: NetId,
        kind: BackendKind,
        width: usize,
        height: usize,
        with_cams: bool,
    },
    /// Run network `net` on the video frame moved beside this message (an `ImageBitmap`), which
    /// becomes the image the worker holds.
    RunFrame {
        id: RequestId,
        net: NetId,
        kind: BackendKind,
        with_cams: bool,
    },
    /// Nobody wants load or run `id` any more: stop it at its next chance.
    Cancel { id: RequestId },
    /// The page dropped network `net`: free it.
    Release { net: NetId },
    /// Tests: make the worker fail the way a crash does (a trap in its wasm).
    Crash,
}

/// What network to build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum LoadWhat {
    /// A preset with the weights file of `entry`.
    Weights { entry: ManifestEntry },
    /// Randomly initialised, fed as `preprocessing` says.
    Random {
        config: EfficientNetConfig,
        preprocessing: Preprocessing,
    },
}

impl LoadWhat {
    pub fn preprocessing(&self) -> &Preprocessing {
        match self {
            LoadWhat::Weights { entry } => &entry.preprocessing,
            LoadWhat::Random { preprocessing, .. } => preprocessing,
        }
    }
}

/// A load's progress.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum LoadProgress {
    Downloading {
        loaded: u64,
        total: u64,
    },
    /// Bytes are here; the network is being built on the device.
    Building,
}

/// The worker to the page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum FromWorker {
    /// The worker's wasm runs and listens (before any request: it answers none).
    Listening,
    /// The engine is made; how WebGPU started there.
    Started { id: RequestId, gpu: GpuStart },
    Progress {
        id: RequestId,
        progress: LoadProgress,
    },
    Loaded {
        id: RequestId,
        net: NetId,
        origin: Option<WeightsOrigin>,
        precision: Precision,
        stats: WorkerStats,
    },
    /// The crop's bytes and the maps' values come beside it.
    Ran {
        id: RequestId,
        out: RunSummary,
        stats: WorkerStats,
    },
    /// Request `id` ended without its answer: [`AppError::Cancelled`] when the page cancelled
    /// it.
    Failed { id: RequestId, error: AppError },
}

/// What the worker's own counters and memory say (the page shows them in `window.__effnet`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkerStats {
    pub depthwise_launched: u32,
    pub depthwise_declined: u32,
    pub gpu_preprocess_runs: u32,
    /// Images the page has sent (a run of the image the worker holds sends none).
    pub images_received: u32,
    /// Of those, video frames moved as `ImageBitmap`s (read in the worker, not on the page).
    pub frames_received: u32,
    pub memory: MemorySample,
}

/// A run's output without its pixels and maps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    pub top5: Vec<Prediction>,
    pub preprocess_ms: f64,
    pub gpu_preprocess: bool,
    pub busy_ms: f64,
    pub latency_ms: f64,
    pub queued_ms: f64,
    pub readback_ms: f64,
    /// From the worker's receiving the request to its reply.
    pub worker_ms: f64,
    pub yields: u32,
    pub crop_width: usize,
    pub crop_height: usize,
    pub crop_size: usize,
    pub source_size: [usize; 2],
    /// Classes and grid of the activation maps, when they came.
    pub cams: Option<(Vec<usize>, usize, usize)>,
}

impl RunSummary {
    /// The summary, the crop's bytes and the maps' values of `out`, which took the worker
    /// `worker_ms` from request to reply.
    pub fn split(out: RunOutput, worker_ms: f64) -> (Self, Vec<u8>, Option<Vec<f32>>) {
        let crop = Arc::unwrap_or_clone(out.crop);
        let (cams, values) = match out.cams {
            Some(c) => (Some((c.classes, c.height, c.width)), Some(c.values)),
            None => (None, None),
        };
        let summary = Self {
            top5: out.top5,
            preprocess_ms: out.preprocess_ms,
            gpu_preprocess: out.gpu_preprocess,
            busy_ms: out.busy_ms,
            latency_ms: out.latency_ms,
            queued_ms: out.queued_ms,
            readback_ms: out.readback_ms,
            worker_ms,
            yields: out.yields,
            crop_width: crop.width,
            crop_height: crop.height,
            crop_size: out.crop_size,
            source_size: out.source_size,
            cams,
        };
        (summary, crop.data, values)
    }

    /// The run's output again, from the summary and what came beside it.
    pub fn join(self, crop: Vec<u8>, values: Option<Vec<f32>>) -> Result<RunOutput, AppError> {
        if crop.len() != self.crop_width * self.crop_height * 3 {
            return Err(AppError::Transport {
                detail: format!(
                    "the worker sent a {}-byte crop for {}×{}",
                    crop.len(),
                    self.crop_width,
                    self.crop_height
                ),
            });
        }
        let cams = match (self.cams, values) {
            (Some((classes, height, width)), Some(values)) => Some(Cams {
                classes,
                height,
                width,
                values,
            }),
            _ => None,
        };
        Ok(RunOutput {
            top5: self.top5,
            preprocess_ms: self.preprocess_ms,
            gpu_preprocess: self.gpu_preprocess,
            busy_ms: self.busy_ms,
            latency_ms: self.latency_ms,
            queued_ms: self.queued_ms,
            readback_ms: self.readback_ms,
            transfer_ms: 0.0,
            worker_ms: self.worker_ms,
            yields: self.yields,
            crop: Arc::new(RgbImage {
                width: self.crop_width,
                height: self.crop_height,
                data: crop,
            }),
            crop_size: self.crop_size,
            source_size: self.source_size,
            cams,
            in_worker: true,
        })
    }
}
