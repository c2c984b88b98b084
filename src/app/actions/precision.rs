//! f16 that fails on this device: a network computing in f16 gave scores that are not finite
//! numbers (an overflow past f16's ±65504, or a GPU's faulty f16 arithmetic). From then on the
//! engine computes in f32 in this browser, and the image runs again.

use leptos::prelude::*;

use super::{App, refresh, worker};
use crate::app::engine::Loaded;
use crate::app::platform::{js, storage};
use crate::app::state::AppState;
use crate::app::state::activity::Activity;
use crate::app::state::backend::Precision;
use crate::app::state::error::AppError;

/// Whether `error`, from a run of `loaded`, is f16 failing: scores that are not finite numbers
/// from a network computing in f16.
pub fn is_f16_failure(loaded: &Loaded, error: &AppError) -> bool {
    loaded.precision == Precision::F16 && error.is_not_finite()
}

/// Networks compute in f32 from now on in this browser (`why`: what failed in f16); the
/// browser remembers it for later visits.
pub(super) fn mark_f16_failed(state: AppState, why: &str) {
    state.backend.update(|b| b.f16_failed = true);
    storage::remember_f16_failed(why);
}

/// `error`: the run's (a warm-up's or an image's, [`is_f16_failure`]). The networks are built
/// again in f32 (their weights come from the browser's cache), in a new worker where one runs
/// them, and the current image, if any, runs again.
pub fn f16_failed(app: App, error: AppError) {
    js::log(&format!("effnet: f16 failed: {error}"));
    let state = app.state;
    let engine = app.engine();
    let variant = state.variant.get_untracked();
    let backend = state
        .backend
        .with_untracked(|b| b.active)
        .unwrap_or(crate::app::state::backend::BackendKind::Cpu);
    app.begin(app.rerun_input(), Activity::loading(variant, backend));
    mark_f16_failed(state, &error.to_string());
    let why = error.to_string();
    state.error.set(Some(AppError::F16Failed {
        cause: Box::new(error),
        image_runs_again: engine.session.image().is_some(),
    }));
    if engine.remote().is_some() {
        worker::restart(app, why);
    } else {
        engine.compute_in_f32();
        refresh(app);
    }
}
