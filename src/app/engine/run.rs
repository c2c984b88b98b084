//! One forward pass of a loaded network on one image: preprocessing (on the GPU with WebGPU,
//! see [`preprocess_gpu`], unless the engine's options keep it on the CPU), the pass itself, an
//! asynchronous readback, ranking on the CPU, and optionally the class activation maps of the
//! top classes.
//!
//! On the CPU backend the pass is synchronous wasm on the page's only thread, so it runs step
//! by step (stem, each block, head) and gives the event loop a turn whenever a slice of
//! [`SLICE_MS`] is used up: the page keeps painting and answering clicks, and a run whose
//! result nobody wants any more stops early.

use std::sync::Arc;

use burn::tensor::{Int, Tensor, TensorData};
use effnet::predict::{Prediction, top_predictions};
use effnet::preprocess::RgbImage;
use effnet::session::Wanted;

use super::loaded::Loaded;
use super::{Engine, InputCheck, preprocess_gpu};
use crate::app::state::backend::BackendKind;
use crate::app::state::error::AppError;
use crate::app::state::results::Cams;

/// Longest stretch of synchronous work on the CPU backend before yielding.
const SLICE_MS: f64 = 16.0;

fn readback(what: &str, detail: impl std::fmt::Debug) -> AppError {
    AppError::Readback {
        what: what.into(),
        detail: format!("{detail:?}"),
    }
}

/// What one run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub top5: Vec<Prediction>,
    /// Main-thread time preparing the input: all of it on the CPU; with GPU preprocessing only
    /// planning, copying the photo's bytes and queueing the kernels (which run inside
    /// `latency_ms`).
    pub preprocess_ms: f64,
    /// Whether the GPU prepared the input.
    pub gpu_preprocess: bool,
    /// Main-thread time spent building and submitting the pass (on the CPU: computing it).
    pub busy_ms: f64,
    /// Forward pass and readback (wall time).
    pub latency_ms: f64,
    /// Waiting for the GPU's earlier work before starting.
    pub queued_ms: f64,
    /// Reading the crop and the maps back, after the scores.
    pub readback_ms: f64,
    /// To the worker and back (0 on the page's thread).
    pub transfer_ms: f64,
    /// The whole run as the worker timed it, from its request to its reply (0 here).
    pub worker_ms: f64,
    /// Times the CPU path handed the event loop a turn.
    pub yields: u32,
    pub crop: Arc<RgbImage>,
    pub crop_size: usize,
    /// The size of the picture the run was given (before the crop).
    pub source_size: [usize; 2],
    pub cams: Option<Cams>,
    /// Whether the engine's worker ran it (the busy time is then the worker's, not the page's).
    pub in_worker: bool,
}

impl Engine {
    /// Runs `loaded` (a network on this thread) on `image`. [`AppError::Cancelled`] when
    /// `wanted` turned false during the run (in the worker: the page cancelled it by message).
    pub async fn run_here(
        &self,
        loaded: &Loaded,
        image: &RgbImage,
        kind: BackendKind,
        with_cams: bool,
        wanted: &Wanted,
    ) -> Result<RunOutput, AppError> {
        let device = self
            .device(kind)
            .ok_or(AppError::BackendNotReady { backend: kind })?;
        let host = &self.host;
        let options = self.options.get();
        let still_wanted = || {
            if wanted.get() {
                Ok(())
            } else {
                Err(AppError::Cancelled)
            }
        };
        let model = loaded.model().ok_or(AppError::NotHere)?;
        let asked = host.now();
        if kind == BackendKind::WebGpu {
            // Wait until the GPU has done what was queued before (uploads of networks loaded
            // meanwhile, a superseded run): that is not this run's latency.
            let _ = Tensor::<1>::zeros([1], &device).into_data_async().await;
            still_wanted()?;
        }
        let t0 = host.now();
        let queued_ms = t0 - asked;
        let size = loaded.preprocessing.size;
        let on_gpu = (kind == BackendKind::WebGpu && options.gpu_preprocess)
            .then(|| preprocess_gpu::prepare(&loaded.preprocessing, image, &device))
            .flatten();
        let (mut x, crop) = match on_gpu {
            Some((x, crop)) => (x, Crop::Gpu(Box::new(crop))),
            None => {
                let (input_chw, crop) = loaded.preprocessing.apply(image);
                (
                    Tensor::<4>::from_data(TensorData::new(input_chw, [1, 3, size, size]), &device),
                    Crop::Cpu(crop),
                )
            }
        };
        let checked_input = options.check_inputs.then(|| x.clone());
        let t1 = host.now();
        let mut busy_ms = 0.0;
        let mut yields = 0;
        let mut slice_start = host.now();
        for step in 0..model.num_steps() {
            x = model.step(step, x);
            if kind == BackendKind::Cpu && host.now() - slice_start >= SLICE_MS {
                busy_ms += host.now() - slice_start;
                host.yield_now().await;
                yields += 1;
                still_wanted()?;
                slice_start = host.now();
            }
        }
        let out = model.finish(x);
        busy_ms += host.now() - slice_start;
        let data = out
            .logits
            .into_data_async()
            .await
            .map_err(|e| readback("the result", e))?;
        let t2 = host.now();
        let gpu_preprocess = matches!(crop, Crop::Gpu(_));
        let crop = match crop {
            Crop::Cpu(crop) => crop,
            Crop::Gpu(packed) => preprocess_gpu::read_crop(*packed, size)
                .await
                .map_err(AppError::browser)?,
        };
        if let Some(input) = checked_input {
            self.check_input(InputCheck {
                preprocessing: loaded.preprocessing.clone(),
                image: image.clone(),
                input,
                crop: crop.clone(),
            })
            .await;
        }
        let logits: Vec<f32> = data
            .try_to_vec::<f32>()
            .map_err(|e| readback("the result as f32", e))?;
        if let Some(bad) = logits.iter().find(|v| !v.is_finite()) {
            return Err(AppError::NotFinite {
                value: bad.to_string(),
                precision: loaded.precision,
            });
        }
        let top5 = top_predictions(&logits, 5);
        let cams = if with_cams {
            let classes: Vec<usize> = top5.iter().map(|p| p.index).collect();
            let [_, _, height, width] = out.features.dims();
            let maps = model.class_activation_maps(out.features, &classes);
            let values = maps
                .into_data_async()
                .await
                .map_err(|e| readback("the activation maps", e))?
                .try_to_vec::<f32>()
                .map_err(|e| readback("the activation maps as f32", e))?;
            Some(Cams {
                classes,
                height,
                width,
                values,
            })
        } else {
            None
        };
        let readback_ms = host.now() - t2;
        Ok(RunOutput {
            top5,
            preprocess_ms: t1 - t0,
            gpu_preprocess,
            busy_ms: (t1 - t0) + busy_ms,
            latency_ms: t2 - t1,
            queued_ms,
            readback_ms,
            transfer_ms: 0.0,
            worker_ms: 0.0,
            yields,
            crop: Arc::new(crop),
            crop_size: size,
            source_size: [image.width, image.height],
            cams,
            in_worker: false,
        })
    }
}

/// Where the crop is: made on the CPU, or packed on the GPU (read back after the result).
enum Crop {
    Cpu(RgbImage),
    Gpu(Box<Tensor<1, Int>>),
}
