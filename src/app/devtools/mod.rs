//! Dev tools, beside the views: bench mode (`?bench`, with `&profile` and `&soak`), the
//! `?prepcheck` comparison, memory readings and `window.__effnet` (the test hooks). They use
//! the engine and the actions; nothing below uses them.

pub mod bench;
mod prepcheck;
mod profile;
mod test_hooks;

use std::rc::Rc;

use leptos::prelude::*;

use crate::app::actions::App;
use crate::app::platform::memory;
use crate::app::state::backend::BackendKind;
use crate::app::state::bench::MemorySample;

pub use bench::BenchPanel;

/// Installs what the address asks for (and the test hooks, always: they only publish state).
/// Call after the engine is made.
pub fn install(app: App) {
    let checks = Rc::new(prepcheck::Checks::default());
    if app.state.options.with_value(|o| o.engine.check_inputs) {
        prepcheck::install(&app.engine(), checks.clone());
    }
    test_hooks::install(app, checks);
}

/// A memory reading while `kind` is the backend in use. When the networks run in the worker:
/// its GPU pools, and the wasm memory and JS heap of the page and the worker together (the
/// worker's as of its last reply).
fn memory_sample(app: App, run: usize, kind: BackendKind) -> MemorySample {
    let engine = app.engine();
    if let Some(stats) = engine.remote().and_then(|r| r.stats()) {
        let page = memory::sample(run, None);
        let mut sample = stats.memory;
        sample.run = run;
        sample.wasm_bytes += page.wasm_bytes;
        sample.js_heap_bytes = match (sample.js_heap_bytes, page.js_heap_bytes) {
            (Some(worker), Some(page)) => Some(worker + page),
            (worker, page) => worker.or(page),
        };
        if kind == BackendKind::Cpu {
            sample.gpu_in_use_bytes = None;
            sample.gpu_reserved_bytes = None;
            sample.gpu_allocations = None;
        }
        return sample;
    }
    let gpu = match kind {
        BackendKind::WebGpu => engine.device(kind),
        BackendKind::Cpu => None,
    };
    memory::sample(run, gpu.as_ref())
}
