//! What the page holds in memory: the wasm linear memory (all of the CPU backend's tensors, and
//! every Rust allocation), in Chromium the JS heap (`performance.memory`), and on WebGPU what
//! burn's GPU memory pools hold (`Device::memory_pool_usage`: bytes in live tensors and bytes
//! the pools have reserved from the GPU). The browser's own GPU-process overhead is not visible.

use burn::tensor::Device;
use serde::Serialize;
use wasm_bindgen::JsCast;

use super::backend::{self, BackendKind};
use super::js;

/// One reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
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

pub fn wasm_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

pub fn js_heap_bytes() -> Option<f64> {
    let performance: wasm_bindgen::JsValue = js::window().performance()?.into();
    js::get(&js::get(&performance, "memory"), "usedJSHeapSize").as_f64()
}

/// A reading taken while `kind` is the backend in use.
pub fn sample(run: usize, kind: BackendKind) -> MemorySample {
    let gpu = match kind {
        BackendKind::WebGpu => backend::device(kind)
            .as_ref()
            .and_then(Device::memory_pool_usage),
        BackendKind::Cpu => None,
    };
    MemorySample {
        run,
        wasm_bytes: wasm_bytes(),
        js_heap_bytes: js_heap_bytes(),
        gpu_in_use_bytes: gpu.map(|u| u.bytes_in_use as f64),
        gpu_reserved_bytes: gpu.map(|u| u.bytes_reserved as f64),
        gpu_allocations: gpu.map(|u| u.number_allocs as f64),
    }
}
