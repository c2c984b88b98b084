//! Classifying with the variant and backend on screen, and publishing the result.
//!
//! Each run belongs to the request that was current when it started (the session's ticket):
//! changing variant, backend or image starts a new request, and a run of an older one shows
//! nothing.

use std::sync::Arc;

use effnet::session::Interest;
use leptos::prelude::*;

use super::App;
use super::load::ensure_model;
use super::precision;
use crate::app::engine::Pixels;
use crate::app::platform::js;
use crate::app::state::activity::Activity;
use crate::app::state::error::AppError;
use crate::app::state::measurements;
use crate::app::state::results::{InputKind, RunResult, cam_peak};

/// Classifies `image` (a photo's RGB, or a webcam frame) with the variant and backend on screen. Returns `None` (and shows
/// nothing) when the visitor changed something meanwhile; errors go to `state.error`.
pub async fn classify(
    app: App,
    image: impl Into<Pixels>,
    input: String,
    kind_of_input: InputKind,
) -> Option<RunResult> {
    let state = app.state;
    let engine = app.engine();
    let ticket = engine.session.ticket();
    let variant = state.variant.get_untracked();
    let kind = state.backend.with_untracked(|b| b.active)?;
    let stale = || !engine.session.is_current(ticket);

    if kind_of_input == InputKind::Image {
        state.activity.set(Activity::Loading { variant });
    }
    let Ok(loaded) = ensure_model(app, variant, kind, Interest::Request(ticket), None).await else {
        // ensure_model has shown the message.
        if !stale() {
            state.activity.set(Activity::LoadFailed { variant });
        }
        return None;
    };
    if stale() {
        return None;
    }
    if kind_of_input == InputKind::Image {
        state.activity.set(Activity::Running {
            variant,
            backend: kind,
        });
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
            }
            return None;
        }
    };
    let timings = loaded.record(out.latency_ms);
    if stale() {
        return None;
    }
    let cam_peak = out
        .cams
        .as_ref()
        .and_then(|c| cam_peak(c, out.top5.first()?.index, out.crop_size));
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
        crop_size: out.crop_size,
        crop: out.crop,
        cams: out.cams.map(Arc::new),
        cam_peak,
    };
    state
        .measured
        .update(|m| measurements::record(m, variant, kind, &timings));
    state.result.set(Some(result.clone()));
    state.result_count.update(|n| *n += 1);
    if kind_of_input == InputKind::Image {
        state.activity.set(Activity::Done {
            variant,
            backend: kind,
            ms: result.latency_ms,
        });
    }
    Some(result)
}
