//! Classifying with the variant and backend on screen, and publishing the result.
//!
//! Each run belongs to the request that was current when it started (the session's ticket):
//! changing variant, backend or image starts a new request, and a run of an older one shows
//! nothing. Its result carries the request's number, so the page shows it as this request's
//! and never under another's name.

use std::rc::Rc;
use std::sync::Arc;

use effnet::Variant;
use effnet::session::{Interest, Ticket};
use leptos::prelude::*;

use super::load::ensure_model;
use super::{App, precision, reconsider_backend};
use crate::app::engine::{Loaded, Pixels, RunOutput};
use crate::app::platform::js;
use crate::app::state::activity::Activity;
use crate::app::state::backend::BackendKind;
use crate::app::state::error::AppError;
use crate::app::state::measurements;
use crate::app::state::results::{InputKind, Parts, RunResult, cam_peak};

/// Classifies `image` (a photo's RGB, or a webcam frame) with the variant and backend on screen,
/// for the current request; `began_ms` is when the visitor's wait for it began (the click, the
/// frame). Returns `None` (and shows nothing) when the visitor changed something meanwhile;
/// errors go to `state.error`.
pub async fn classify(
    app: App,
    image: impl Into<Pixels>,
    input: String,
    kind_of_input: InputKind,
    began_ms: f64,
) -> Option<RunResult> {
    let state = app.state;
    let engine = app.engine();
    let ticket = engine.session.ticket();
    let variant = state.variant.get_untracked();
    let kind = state.backend.with_untracked(|b| b.active)?;
    let stale = || !engine.session.is_current(ticket);
    let still = kind_of_input == InputKind::Image;

    let asked = js::now();
    if still {
        let cold = !engine.session.kept().contains(&(variant, kind));
        let from = state.shown_variant().filter(|&v| v != variant);
        app.show(
            ticket,
            Activity::Loading {
                variant,
                backend: kind,
                from,
                estimate: app.estimate(variant, kind, cold),
            },
        );
    }
    let Ok(loaded) = ensure_model(app, variant, kind, Interest::Request(ticket), None).await else {
        // ensure_model has shown the message.
        app.show(ticket, Activity::LoadFailed { variant });
        return None;
    };
    if stale() {
        return None;
    }
    let loaded_at = js::now();
    if still {
        let cold = loaded.timings().cold_ms.is_none();
        app.show(
            ticket,
            Activity::Running {
                variant,
                backend: kind,
                cold,
                estimate: cold.then(|| app.estimate(variant, kind, true)).flatten(),
            },
        );
        // Let the status paint before the synchronous preprocessing.
        js::sleep(0).await;
    }
    let with_cams = state.cam.with_untracked(|c| c.enabled);
    let out = match engine
        .run(&loaded, image, kind, with_cams, Some(ticket))
        .await
    {
        Ok(out) => out,
        Err(AppError::Cancelled) => return None,
        Err(e) if !stale() && precision::is_f16_failure(&loaded, &e) => {
            precision::f16_failed(app, e);
            return None;
        }
        Err(e) => {
            if !stale() {
                state.error.set(Some(e.running(variant, kind)));
                app.show(ticket, Activity::Unusable { input });
            }
            return None;
        }
    };
    let parts = Parts {
        before_ms: (asked - began_ms).max(0.0),
        load_ms: loaded_at - asked,
        ..parts_of(&out)
    };
    let result = publish(
        app,
        ticket,
        &loaded,
        out,
        input,
        kind_of_input,
        variant,
        kind,
        parts,
    )?;
    if still {
        app.show(
            ticket,
            Activity::Done {
                variant,
                backend: kind,
                ms: result.latency_ms,
                waited_ms: result.waited_ms,
            },
        );
    }
    Some(result)
}

/// The parts of a run's time that the engine measured (the rest are the caller's).
fn parts_of(out: &RunOutput) -> Parts {
    Parts {
        queue_ms: out.queued_ms,
        transfer_ms: out.transfer_ms,
        preprocess_ms: out.preprocess_ms,
        run_ms: out.latency_ms,
        readback_ms: out.readback_ms,
        ..Parts::default()
    }
}

/// Records run `out` of `loaded` (its latencies feed the charts, the estimates and the choice
/// of backend) and shows it as request `ticket`'s result, unless a newer request has begun.
#[allow(clippy::too_many_arguments)]
pub(super) fn publish(
    app: App,
    ticket: Ticket,
    loaded: &Rc<Loaded>,
    out: RunOutput,
    input: String,
    kind_of_input: InputKind,
    variant: Variant,
    kind: BackendKind,
    parts: Parts,
) -> Option<RunResult> {
    let state = app.state;
    let timings = loaded.record(out.latency_ms);
    state
        .measured
        .update(|m| measurements::record(m, variant, kind, &timings));
    if !app.engine().session.is_current(ticket) {
        return None;
    }
    let cam_peak = out
        .cams
        .as_ref()
        .and_then(|c| cam_peak(c, out.top5.first()?.index, out.crop_size));
    let began = state.screen.with_untracked(|s| s.began_ms);
    let waited_ms = match kind_of_input {
        InputKind::Image => js::now() - began,
        InputKind::Webcam => parts.sum(),
    };
    let result = RunResult {
        generation: ticket.generation(),
        variant: variant.name().to_string(),
        backend: kind.id().to_string(),
        pretrained: loaded.weights.is_some(),
        weights: loaded
            .weights
            .clone()
            .unwrap_or_else(|| "no weights here: random initialisation".into()),
        precision: loaded.precision,
        input,
        kind: kind_of_input,
        top5: out.top5,
        preprocess_ms: out.preprocess_ms,
        gpu_preprocess: out.gpu_preprocess,
        busy_ms: out.busy_ms,
        in_worker: out.in_worker,
        yields: out.yields,
        latency_ms: out.latency_ms,
        cold: timings.cold,
        cold_ms: timings.cold_ms,
        warm_median_ms: timings.warm_median_ms,
        warm_runs: timings.warm_runs,
        waited_ms,
        parts,
        crop_size: out.crop_size,
        source_size: out.source_size,
        crop: out.crop,
        cams: out.cams.map(Arc::new),
        cam_peak,
    };
    state.result.set(Some(result.clone()));
    state.result_count.update(|n| *n += 1);
    if !timings.cold {
        reconsider_backend(app, variant);
    }
    Some(result)
}
