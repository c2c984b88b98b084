//! What the page holds in memory, as far as a page can see: the wasm linear memory (all of the
//! CPU backend's tensors, and every Rust allocation) and, in Chromium, the JS heap
//! (`performance.memory`). GPU buffers live in the browser's GPU process and are not visible
//! from here.

use serde::Serialize;
use wasm_bindgen::JsCast;

use super::js;

/// One reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct MemorySample {
    /// After this many runs (soak) or 0.
    pub run: usize,
    pub wasm_bytes: f64,
    /// `None` where the browser does not report it.
    pub js_heap_bytes: Option<f64>,
}

pub fn wasm_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}

pub fn js_heap_bytes() -> Option<f64> {
    let performance: wasm_bindgen::JsValue = js::window().performance()?.into();
    js::get(&js::get(&performance, "memory"), "usedJSHeapSize").as_f64()
}

pub fn sample(run: usize) -> MemorySample {
    MemorySample { run, wasm_bytes: wasm_bytes(), js_heap_bytes: js_heap_bytes() }
}
