//! An engine in another thread: the page's side of the worker (`platform::worker` implements
//! it). Networks built there are named by a number; dropping the page's [`WorkerNet`] frees
//! the worker's network.

use std::rc::Rc;

use effnet::session::{LoadError, Wanted};
use futures_util::future::LocalBoxFuture;

use super::protocol::{LoadProgress, LoadWhat, WorkerStats};
use super::{Pixels, RunOutput};
use crate::app::state::backend::{BackendKind, Precision};
use crate::app::state::load::WeightsOrigin;

/// A load's outcome: the worker's number for the network, where its weights came from, and
/// what it computes in.
pub type LoadReply = Result<(u64, Option<WeightsOrigin>, Precision), LoadError<String>>;

pub trait Remote {
    /// Builds `what` on `kind` in the worker: the network's number and where its weights came
    /// from. Cancelled as soon as `wanted` turns false.
    fn load(
        &self,
        what: LoadWhat,
        kind: BackendKind,
        progress: Rc<dyn Fn(LoadProgress)>,
        wanted: Wanted,
    ) -> LocalBoxFuture<'static, LoadReply>;

    /// Runs network `net` on `pixels` (an RGB image is copied to the worker unless it is the
    /// image the worker last got; a frame is moved there). `Ok(None)` once `wanted` turned
    /// false.
    fn run(
        &self,
        net: u64,
        kind: BackendKind,
        pixels: &Pixels,
        with_cams: bool,
        wanted: Wanted,
    ) -> LocalBoxFuture<'static, Result<Option<RunOutput>, String>>;

    /// The page no longer holds network `net`.
    fn release(&self, net: u64);

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
    pub id: u64,
    pub remote: Rc<dyn Remote>,
}

impl Drop for WorkerNet {
    fn drop(&mut self) {
        self.remote.release(self.id);
    }
}
