//! Dev tools, beside the views: bench mode (`?bench`, with `&profile` and `&soak`), the
//! `?prepcheck` comparison, memory readings and `window.__effnet` (the test hooks). They use
//! the engine and the actions; nothing below uses them.

pub mod bench;
mod prepcheck;
mod profile;
mod test_hooks;

use leptos::prelude::*;

use crate::app::actions::engine;
use crate::app::platform::memory;
use crate::app::state::AppState;
use crate::app::state::backend::BackendKind;
use crate::app::state::bench::MemorySample;

pub use bench::BenchPanel;

/// Installs what the address asks for (and the test hooks, always: they only publish state).
/// Call after the engine is made.
pub fn install(state: AppState) {
    test_hooks::install(state);
    if state.options.with_value(|o| o.engine.check_inputs) {
        prepcheck::install(&engine());
    }
}

/// A memory reading while `kind` is the backend in use.
fn memory_sample(run: usize, kind: BackendKind) -> MemorySample {
    let gpu = match kind {
        BackendKind::WebGpu => engine().device(kind),
        BackendKind::Cpu => None,
    };
    memory::sample(run, gpu.as_ref())
}
