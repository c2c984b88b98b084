//! Warm-up: while the visitor has not chosen an image yet, a freshly loaded network runs once
//! on a blank picture, so its pipelines are compiled and its buffers allocated before the first
//! real request. That pass is the network's cold run and is shown as one (the first result
//! then says "warm" and gives this cold time); any real request supersedes it. Where f16 fails
//! (scores that are not finite numbers), it fails here, before the visitor chooses an image.

use effnet::Variant;
use effnet::session::Ticket;
use leptos::prelude::*;

use super::{App, precision};
use crate::app::engine::loaded::Loaded;
use crate::app::engine::synthetic;
use crate::app::state::activity::Activity;
use crate::app::state::backend::BackendKind;
use crate::app::state::measurements;

/// Runs the warm-up pass of `loaded` if it has never run (and `?warmup=off` is not set).
/// Returns whether `ticket` is still the current request afterwards.
pub async fn run(
    app: App,
    loaded: &Loaded,
    variant: Variant,
    kind: BackendKind,
    ticket: Ticket,
) -> bool {
    let state = app.state;
    let engine = app.engine();
    if !state.options.with_value(|o| o.warm_up) || loaded.timings().cold_ms.is_some() {
        return engine.session.is_current(ticket);
    }
    state.activity.set(Activity::WarmingUp {
        variant,
        backend: kind,
    });
    let blank = std::rc::Rc::new(synthetic::blank(loaded.preprocessing.size));
    match engine.run(loaded, &blank, kind, false, Some(ticket)).await {
        Ok(out) => {
            let timings = loaded.record(out.latency_ms);
            state
                .measured
                .update(|m| measurements::record(m, variant, kind, &timings));
        }
        // f16 failing shows before the visitor chooses an image.
        Err(e) if precision::is_f16_failure(loaded, &e) => {
            precision::f16_failed(app, e);
            return false;
        }
        _ => {}
    }
    engine.session.is_current(ticket)
}
