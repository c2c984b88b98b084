//! Where the networks run: in the engine's Web Worker (the default), or on the page's thread
//! where a worker cannot do the job. Started at start-up, and again after the worker stops.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::remote::WorkerEngine;
use super::{engine, engine_options, precision, refresh, set_backend};
use crate::app::engine::Remote;
use crate::app::engine::protocol::GpuStart;
use crate::app::platform::{gpu, js};
use crate::app::state::AppState;
use crate::app::state::backend::{GpuState, RunsIn};

/// Starts the engine's worker and, through it, the backend. `false` when the networks must
/// run on the page's thread (`state.backend.runs_in` says why); the caller then starts the
/// backend here.
pub async fn start(state: AppState, forced_cpu: bool) -> bool {
    state.status.set("Starting the engine's worker…".into());
    let options = engine_options(state);
    let on_stop: Rc<dyn Fn(String)> = Rc::new(move |why| stopped(state, why));
    let (worker, gpu) = match WorkerEngine::start(options, !forced_cpu, on_stop).await {
        Ok(started) => started,
        Err(why) => {
            js::log(&format!("effnet: no engine worker: {why}"));
            runs_on_page(state, format!("the engine's worker could not start: {why}"));
            return false;
        }
    };
    if let GpuStart::Unavailable(why) = &gpu
        && gpu::probe_adapter().await.is_ok()
    {
        // WebGPU on the page but not in a worker: the page runs the networks itself.
        worker.terminate();
        runs_on_page(
            state,
            format!("this browser offers WebGPU to the page but not to a worker ({why})"),
        );
        return false;
    }
    let gpu_state = match gpu {
        GpuStart::NotAsked => GpuState::Skipped,
        GpuStart::Unavailable(why) => GpuState::Unavailable(why),
        GpuStart::Failed(why) => GpuState::Failed(format!("burn could not start on WebGPU: {why}")),
        GpuStart::Ready(info) => GpuState::Ready(info),
    };
    let gpu_ready = matches!(gpu_state, GpuState::Ready(_));
    engine().set_remote(Some(Rc::new(worker)), gpu_ready);
    set_backend(state, gpu_state, RunsIn::Worker);
    true
}

fn runs_on_page(state: AppState, why: String) {
    state.backend.update(|b| b.runs_in = RunsIn::Page(why));
}

/// The worker stopped (a crash, out of memory): say so, start a new one, and run the current
/// image again on it. If it had built a network computing in f16, the new one computes in f32:
/// f16 may be what this GPU failed at.
fn stopped(state: AppState, why: String) {
    js::log(&format!("effnet: the engine's worker stopped: {why}"));
    // Whatever was waiting for the old worker is stale now (and shows nothing).
    engine().session.supersede();
    let f16 = engine().remote().is_some_and(|w| w.built_f16());
    if f16 {
        precision::mark_f16_failed(state, &why);
    }
    state.error.set(Some(format!(
        "The engine's worker stopped ({why}). It has been restarted{}; networks load again.",
        if f16 {
            " computing in f32, not f16"
        } else {
            ""
        }
    )));
    state.result.set(None);
    restart(state, why);
}

/// Replaces the worker with a new one (started with [`engine_options`]: in f32 once f16
/// failed), keeps the visitor's backend where it still runs, and runs the current image again.
/// `why` goes into the message if no new worker starts.
pub(super) fn restart(state: AppState, why: String) {
    // Out of the worker's error handler before its port is dropped.
    spawn_local(async move {
        let engine = engine();
        if let Some(old) = engine.remote() {
            old.terminate();
        }
        engine.set_remote(None, false);
        engine.session.forget_all();
        let forced_cpu = state.options.with_value(|o| o.force_cpu);
        let active = state.backend.with_untracked(|b| b.active);
        if start(state, forced_cpu).await {
            // Keep the backend the visitor had chosen, where it still runs.
            if let Some(kind) = active
                && engine.ready(kind)
            {
                state.backend.update(|b| {
                    b.active = Some(kind);
                    b.notice = None;
                });
            }
            state.status.set("The engine's worker was restarted".into());
            refresh(state);
        } else {
            state.error.set(Some(format!(
                "The engine's worker stopped ({why}) and could not be restarted: reload the page."
            )));
        }
    });
}

/// Tests (`window.__effnet.crashWorker()`): makes the worker trap as a crash would. `false`
/// when no worker runs.
pub fn crash() -> bool {
    engine().remote().map(|w| w.crash()).is_some()
}
