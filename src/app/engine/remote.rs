//! An engine in another thread, as the page's engine sees it: the engine's worker, whose
//! client (`transport::worker_client::WorkerClient`) implements [`Remote`]. Networks built
//! there are named by a [`NetId`]; dropping the page's [`WorkerNet`] frees the worker's network.

use std::rc::Rc;

use effnet::session::Wanted;
use futures_util::future::LocalBoxFuture;

use super::ids::NetId;
use super::protocol::{LoadProgress, LoadWhat, WorkerStats};
use super::{Pixels, RunOutput};
use crate::app::state::backend::{BackendKind, Precision};
use crate::app::state::error::AppError;
use crate::app::state::load::WeightsOrigin;

/// A network the worker built: its number, where its weights came from, what it computes in.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    pub net: NetId,
    pub origin: Option<WeightsOrigin>,
    pub precision: Precision,
}

pub trait Remote {
    /// Builds `what` on `kind` in the worker. [`AppError::Cancelled`] as soon as `wanted`
    /// turns false.
    fn load(
        &self,
        what: LoadWhat,
        kind: BackendKind,
        progress: Rc<dyn Fn(LoadProgress)>,
        wanted: Wanted,
    ) -> LocalBoxFuture<'static, Result<Built, AppError>>;

    /// Runs network `net` on `pixels` (an RGB image is copied to the worker unless it is the
    /// image the worker last got; a staged frame is moved there). [`AppError::Cancelled`] once
    /// `wanted` turned false.
    fn run(
        &self,
        net: NetId,
        kind: BackendKind,
        pixels: &Pixels,
        with_cams: bool,
        wanted: Wanted,
    ) -> LocalBoxFuture<'static, Result<RunOutput, AppError>>;

    /// The page no longer holds network `net`.
    fn release(&self, net: NetId);

    /// The worker's counters and memory, as of its last reply.
    fn stats(&self) -> Option<WorkerStats>;

    /// Stops the worker: whatever waits on it fails, and its networks are gone.
    fn terminate(&self);

    /// Tests: makes the worker trap, as a crash would.
    fn crash(&self);

    /// Whether the worker has built a network computing in f16.
    fn built_f16(&self) -> bool;
}

/// A network living in the worker.
pub struct WorkerNet {
    pub id: NetId,
    pub remote: Rc<dyn Remote>,
}

impl Drop for WorkerNet {
    fn drop(&mut self) {
        self.remote.release(self.id);
    }
}
