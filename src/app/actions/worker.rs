//! Where the networks run: in the engine's Web Worker (the default), or on the page's thread
//! where a worker cannot do the job. Started at start-up, and again after the worker stops.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{App, engine_options, precision, refresh, set_backend, starting};
use crate::app::engine::Remote;
use crate::app::platform::{gpu, js};
use crate::app::state::activity::{Activity, StartStep};
use crate::app::state::backend::{GpuStart, RunsIn};
use crate::app::state::error::AppError;
use crate::app::transport::worker_client::WorkerClient;

/// Starts the engine's worker and, through it, the backend. `false` when the networks must
/// run on the page's thread (`state.backend.runs_in` says why); the caller then starts the
/// backend here.
pub async fn start(app: App, forced_cpu: bool) -> bool {
    let state = app.state;
    starting(state, StartStep::Worker);
    let options = engine_options(state);
    let on_stop: Rc<dyn Fn(String)> = Rc::new(move |why| stopped(app, why));
    let (worker, gpu) = match WorkerClient::start(options, !forced_cpu, on_stop).await {
        Ok(started) => started,
        Err(why) => {
            js::log(&format!("effnet: no engine worker: {why}"));
            runs_on_page(app, why.to_string());
            return false;
        }
    };
    if let GpuStart::Unavailable(why) = &gpu
        && gpu::probe_adapter().await.is_ok()
    {
        // WebGPU on the page but not in a worker: the page runs the networks itself.
        worker.terminate();
        runs_on_page(
            app,
            format!("this browser offers WebGPU to the page but not to a worker ({why})"),
        );
        return false;
    }
    let gpu_ready = matches!(gpu, GpuStart::Ready(_));
    app.set_worker(Some(worker.clone()));
    app.engine().set_remote(Some(Rc::new(worker)), gpu_ready);
    set_backend(state, gpu, RunsIn::Worker);
    true
}

fn runs_on_page(app: App, why: String) {
    app.state.backend.update(|b| b.runs_in = RunsIn::Page(why));
}

/// The worker stopped (a crash, out of memory): say so, start a new one, and run the current
/// image again on it. If it had built a network computing in f16, the new one computes in f32:
/// f16 may be what this GPU failed at.
fn stopped(app: App, why: String) {
    let state = app.state;
    js::log(&format!("effnet: the engine's worker stopped: {why}"));
    let engine = app.engine();
    let in_f32 = engine.remote().is_some_and(|w| w.built_f16());
    if in_f32 {
        precision::mark_f16_failed(state, &why);
    }
    state.error.set(Some(AppError::WorkerRestarted {
        why: why.clone(),
        in_f32,
    }));
    restart(app, why);
}

/// Replaces the worker with a new one (started with [`engine_options`]: in f32 once f16
/// failed), keeps the visitor's backend where it still runs, and runs the current image again.
/// `why` goes into the message if no new worker starts.
pub(super) fn restart(app: App, why: String) {
    let state = app.state;
    // Whatever was waiting for the old worker is stale now (and shows nothing); the result on
    // screen stays, marked as the previous one, until the new worker gives one.
    let ticket = app.begin(
        app.rerun_input(),
        Activity::Starting {
            step: StartStep::Worker,
        },
    );
    // Out of the worker's error handler before its port is dropped.
    spawn_local(async move {
        let engine = app.engine();
        if let Some(old) = engine.remote() {
            old.terminate();
        }
        engine.set_remote(None, false);
        app.set_worker(None);
        engine.session.forget_all();
        let forced_cpu = state
            .options
            .with_value(|o| o.backend == Some(crate::app::state::backend::BackendKind::Cpu));
        let (active, chosen) = state
            .backend
            .with_untracked(|b| (b.active, b.chosen_by_visitor));
        if start(app, forced_cpu).await {
            // Keep the backend the visitor had chosen, where it still runs.
            if let Some(kind) = active
                && engine.ready(kind)
            {
                state.backend.update(|b| {
                    b.active = Some(kind);
                    b.chosen_by_visitor = chosen;
                });
            }
            app.show(ticket, Activity::WorkerRestarted);
            refresh(app);
        } else {
            state.error.set(Some(AppError::WorkerLost { why }));
        }
    });
}

/// Tests (`window.__effnetCrashWorker()`): makes the worker trap as a crash would. `false`
/// when no worker runs.
pub fn crash(app: App) -> bool {
    app.engine().remote().map(|w| w.crash()).is_some()
}
