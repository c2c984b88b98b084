//! One forward pass of a loaded network on one image: preprocessing (on the GPU with WebGPU,
//! see [`preprocess_gpu`]; `?prep=cpu` keeps it on the CPU), the pass itself, an asynchronous
//! readback, ranking on the CPU, and optionally the class activation maps of the top classes.
//!
//! On the CPU backend the pass is synchronous wasm on the page's only thread, so it runs step
//! by step (stem, each block, head) and gives the event loop a turn whenever a slice of
//! [`SLICE_MS`] is used up: the page keeps painting and answering clicks, and a run whose
//! result nobody wants any more stops early.

use std::sync::Arc;

use burn::tensor::{Int, Tensor, TensorData};
use effnet::predict::{Prediction, top_predictions};
use effnet::preprocess::RgbImage;

use super::backend::{self, BackendKind};
use super::js;
use super::models::Loaded;
use super::preprocess_gpu;

/// Longest stretch of synchronous work on the CPU backend before yielding.
const SLICE_MS: f64 = 16.0;

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
    /// Times the CPU path handed the event loop a turn.
    pub yields: u32,
    pub crop: Arc<RgbImage>,
    pub crop_size: usize,
    pub cams: Option<Cams>,
}

/// Runs `loaded` on `image`. `Ok(None)` when `cancelled()` turned true during a CPU run.
pub async fn run_model(
    loaded: &Loaded,
    image: &RgbImage,
    kind: BackendKind,
    with_cams: bool,
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<RunOutput>, String> {
    let device = backend::device(kind)
        .ok_or_else(|| format!("the {} backend is not ready", kind.label()))?;
    let model = &loaded.model;
    if kind == BackendKind::WebGpu {
        // Wait until the GPU has done what was queued before (uploads of networks loaded
        // meanwhile, a superseded run): that is not this run's latency.
        let _ = Tensor::<1>::zeros([1], &device).into_data_async().await;
        if cancelled() {
            return Ok(None);
        }
    }
    let t0 = js::now();
    let size = loaded.preprocessing.size;
    let on_gpu = (kind == BackendKind::WebGpu && js::query_param("prep").as_deref() != Some("cpu"))
        .then(|| preprocess_gpu::prepare(&loaded.preprocessing, image, &device))
        .flatten();
    let (mut x, crop) = match on_gpu {
        Some((x, crop)) => (x, Crop::Gpu(crop)),
        None => {
            let (input_chw, crop) = loaded.preprocessing.apply(image);
            (
                Tensor::<4>::from_data(TensorData::new(input_chw, [1, 3, size, size]), &device),
                Crop::Cpu(crop),
            )
        }
    };
    let checked_input = js::query_param("prepcheck").is_some().then(|| x.clone());
    let t1 = js::now();
    let mut busy_ms = 0.0;
    let mut yields = 0;
    let mut slice_start = js::now();
    for step in 0..model.num_steps() {
        x = model.step(step, x);
        if kind == BackendKind::Cpu && js::now() - slice_start >= SLICE_MS {
            busy_ms += js::now() - slice_start;
            js::yield_now().await;
            yields += 1;
            if cancelled() {
                return Ok(None);
            }
            slice_start = js::now();
        }
    }
    let out = model.finish(x);
    busy_ms += js::now() - slice_start;
    let data = out
        .logits
        .into_data_async()
        .await
        .map_err(|e| format!("reading the result failed: {e:?}"))?;
    let t2 = js::now();
    let gpu_preprocess = matches!(crop, Crop::Gpu(_));
    let crop = match crop {
        Crop::Cpu(crop) => crop,
        Crop::Gpu(packed) => preprocess_gpu::read_crop(packed, size).await?,
    };
    if let Some(input) = checked_input {
        check_input(loaded, image, input, &crop).await;
    }
    let logits: Vec<f32> = data
        .try_to_vec::<f32>()
        .map_err(|e| format!("unexpected output: {e:?}"))?;
    let top5 = top_predictions(&logits, 5);
    let cams = if with_cams {
        let classes: Vec<usize> = top5.iter().map(|p| p.index).collect();
        let [_, _, height, width] = out.features.dims();
        let maps = model.class_activation_maps(out.features, &classes);
        let values = maps
            .into_data_async()
            .await
            .map_err(|e| format!("reading the activation maps failed: {e:?}"))?
            .try_to_vec::<f32>()
            .map_err(|e| format!("unexpected activation maps: {e:?}"))?;
        Some(Cams {
            classes,
            height,
            width,
            values,
        })
    } else {
        None
    };
    Ok(Some(RunOutput {
        top5,
        preprocess_ms: t1 - t0,
        gpu_preprocess,
        busy_ms: (t1 - t0) + busy_ms,
        latency_ms: t2 - t1,
        yields,
        crop: Arc::new(crop),
        crop_size: size,
        cams,
    }))
}

/// Where the crop is: made on the CPU, or packed on the GPU (read back after the result).
enum Crop {
    Cpu(RgbImage),
    Gpu(Tensor<1, Int>),
}

/// `?prepcheck`: reads the input the pass got back and compares it, bit for bit, with the one
/// the CPU makes (and the crop with the CPU's crop); counts in `window.__effnet.preprocess.checks`.
async fn check_input(loaded: &Loaded, image: &RgbImage, input: Tensor<4>, crop: &RgbImage) {
    let (expected, expected_crop) = loaded.preprocessing.apply(image);
    let got = match input.into_data_async().await.map(|d| d.try_to_vec::<f32>()) {
        Ok(Ok(v)) => v,
        other => {
            js::log(&format!(
                "effnet: prepcheck could not read the input: {other:?}"
            ));
            return;
        }
    };
    let input_diffs = if got.len() == expected.len() {
        got.iter()
            .zip(&expected)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count()
    } else {
        usize::MAX
    };
    let crop_diffs = if crop.data.len() == expected_crop.data.len() {
        crop.data
            .iter()
            .zip(&expected_crop.data)
            .filter(|(a, b)| a != b)
            .count()
    } else {
        usize::MAX
    };
    preprocess_gpu::record_check(input_diffs, crop_diffs, image.width, image.height);
}
