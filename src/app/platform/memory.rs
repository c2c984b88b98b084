//! What the page holds in memory: the wasm linear memory (all of the CPU backend's tensors, and
//! every Rust allocation), in Chromium the JS heap (`performance.memory`), and on WebGPU what
//! burn's GPU memory pools hold (`Device::memory_pool_usage`: bytes in live tensors and bytes
//! the pools have reserved from the GPU). The browser's own GPU-process overhead is not visible.

use burn::tensor::Device;
use wasm_bindgen::JsCast;

use super::js;
use crate::app::state::bench::MemorySample;

pub fn wasm_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

pub fn js_heap_bytes() -> Option<f64> {
    let performance = js::get(&js_sys::global(), "performance");
    js::get(&js::get(&performance, "memory"), "usedJSHeapSize").as_f64()
}

/// A reading; `gpu` is burn's WebGPU device when it is the backend in use.
pub fn sample(run: usize, gpu: Option<&Device>) -> MemorySample {
    let gpu = gpu.and_then(Device::memory_pool_usage);
    MemorySample {
        run,
        wasm_bytes: wasm_bytes(),
        js_heap_bytes: js_heap_bytes(),
        gpu_in_use_bytes: gpu.map(|u| u.bytes_in_use as f64),
        gpu_reserved_bytes: gpu.map(|u| u.bytes_reserved as f64),
        gpu_allocations: gpu.map(|u| u.number_allocs as f64),
    }
}
