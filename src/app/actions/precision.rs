//! f16 that fails on this device: a network computing in f16 gave scores that are not finite
//! numbers (an overflow past f16's ±65504, or a GPU's faulty f16 arithmetic). From then on the
//! engine computes in f32 in this browser, and the image runs again.

use leptos::prelude::*;

use super::{engine, refresh, worker};
use crate::app::platform::{js, storage};
use crate::app::state::AppState;

/// `why`: the run's error (a warm-up's or an image's). The networks are built again in f32
/// (their weights come from the browser's cache), in a new worker where one runs them, and the
/// current image, if any, runs again.
pub fn f16_failed(state: AppState, why: String) {
    js::log(&format!("effnet: f16 failed: {why}"));
    engine().session.supersede();
    state.backend.update(|b| b.f16_failed = true);
    storage::remember_f16_failed(&why);
    let again = if engine().session.image().is_some() {
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
    let engine = engine();
    if engine.remote().is_some() {
        worker::restart(state, why);
    } else {
        engine.compute_in_f32();
        refresh(state);
    }
}
