//! f16 that fails on this device: a network computing in f16 gave scores that are not finite
//! numbers (an overflow past f16's ±65504, or a GPU's faulty f16 arithmetic). From then on the
//! engine computes in f32 in this browser, and the image runs again.

use leptos::prelude::*;

use super::{engine, refresh, worker};
use crate::app::engine::{Loaded, is_not_finite};
use crate::app::platform::{js, storage};
use crate::app::state::AppState;
use crate::app::state::backend::Precision;

/// Whether `error`, from a run of `loaded`, is f16 failing: scores that are not finite numbers
/// from a network computing in f16.
pub fn is_f16_failure(loaded: &Loaded, error: &str) -> bool {
    loaded.precision == Precision::F16 && is_not_finite(error)
}

/// Networks compute in f32 from now on in this browser (`why`: what failed in f16); the
/// browser remembers it for later visits.
pub(super) fn mark_f16_failed(state: AppState, why: &str) {
    state.backend.update(|b| b.f16_failed = true);
    storage::remember_f16_failed(why);
}

/// `why`: the run's error (a warm-up's or an image's, [`is_f16_failure`]). The networks are
/// built again in f32 (their weights come from the browser's cache), in a new worker where one
/// runs them, and the current image, if any, runs again.
pub fn f16_failed(state: AppState, why: String) {
    js::log(&format!("effnet: f16 failed: {why}"));
    let engine = engine();
    engine.session.supersede();
    mark_f16_failed(state, &why);
    let again = if engine.session.image().is_some() {
        ", and the image runs again"
    } else {
        ""
    };
    state.error.set(Some(format!(
        "{}{}. Networks now compute in f32 in this browser{again}.",
        why[..1].to_uppercase(),
        &why[1..]
    )));
    state.result.set(None);
    if engine.remote().is_some() {
        worker::restart(state, why);
    } else {
        engine.compute_in_f32();
        refresh(state);
    }
}
