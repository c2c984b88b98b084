//! Bench mode's readings (`?bench`; the dev tools fill them, `window.__effnet.bench` shows them).

use serde::Serialize;

use super::backend::Precision;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BenchRow {
    pub variant: String,
    pub pretrained: bool,
    /// What the network computed in (`f32`, or `f16` on a GPU with shader-f16).
    pub precision: Precision,
    pub load_ms: Option<f64>,
    pub from_cache: bool,
    pub cold_ms: Option<f64>,
    pub warm_median_ms: Option<f64>,
    pub warm_min_ms: Option<f64>,
    pub warm_max_ms: Option<f64>,
    /// Warm runs done.
    pub runs: usize,
    /// The bench image (`?input=WxH`, else the variant's input size).
    pub input: String,
    /// Whether the GPU did the crop and normalisation (their time then is in the latency).
    pub gpu_preprocess: bool,
    /// Median main-thread time preparing the input over the warm runs.
    pub prep_median_ms: Option<f64>,
    /// Median of preparation + latency over the warm runs (comparable with `&prep=cpu`).
    pub total_median_ms: Option<f64>,
    /// Memory after the warm runs (the model loaded, steady state).
    pub memory: Option<MemorySample>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BenchState {
    pub done: bool,
    pub backend: Option<String>,
    pub adapter: Option<String>,
    pub runs: usize,
    pub variants: Vec<String>,
    pub rows: Vec<BenchRow>,
    pub error: Option<String>,
    pub soak: Option<Soak>,
    pub profile: Option<Profile>,
}

/// The soak run's readings.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Soak {
    pub variant: String,
    pub asked: usize,
    pub runs: usize,
    pub failures: usize,
    pub median_ms: Option<f64>,
    pub samples: Vec<MemorySample>,
    /// Last sample minus the first (taken after the warm-up).
    pub wasm_growth_bytes: Option<f64>,
    pub js_heap_growth_bytes: Option<f64>,
    /// The same for burn's GPU pools (WebGPU only).
    pub gpu_in_use_growth_bytes: Option<f64>,
    pub gpu_reserved_growth_bytes: Option<f64>,
    pub done: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProfileRow {
    pub name: String,
    /// Median over runs of the part's total per forward pass, sync overhead subtracted.
    pub ms: f64,
    pub share: f64,
    /// How many times the part runs per forward pass.
    pub count: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Profile {
    pub variant: String,
    pub backend: String,
    pub runs: usize,
    /// One readback of a computed tensor (subtracted from each part).
    pub sync_ms: f64,
    pub rows: Vec<ProfileRow>,
    pub error: Option<String>,
}

/// One reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct MemorySample {
    /// After this many runs (soak) or 0.
    pub run: usize,
    pub wasm_bytes: f64,
    /// `None` where the browser does not report it.
    pub js_heap_bytes: Option<f64>,
    /// burn's GPU pools (WebGPU only): bytes held by live tensors (weights included).
    pub gpu_in_use_bytes: Option<f64>,
    /// burn's GPU pools: bytes reserved from the GPU (≥ in use; pages kept for reuse).
    pub gpu_reserved_bytes: Option<f64>,
    /// Live allocations in those pools.
    pub gpu_allocations: Option<f64>,
}
