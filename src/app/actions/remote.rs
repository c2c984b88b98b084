//! The engine's worker as the page's [`Remote`]: each load and run is a request with a number,
//! answered by the worker's replies; a request nobody wants any more is cancelled by message
//! (the page asks `wanted` / `cancelled` every [`POLL_MS`] while it waits). When the worker
//! stops, every request still waiting fails and `on_stop` hears why.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use effnet::preprocess::RgbImage;
use effnet::session::LoadError;
use futures_channel::oneshot;
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use wasm_bindgen::JsValue;

use crate::app::engine::protocol::{
    FromWorker, GpuStart, LoadProgress, LoadWhat, ToWorker, WorkerStats,
};
use crate::app::engine::remote::LoadReply;
use crate::app::engine::{Remote, RunOutput};
use crate::app::platform::worker::WorkerPort;
use crate::app::platform::{js, messages};
use crate::app::state::backend::BackendKind;
use crate::app::state::options::EngineOptions;

/// How often a waiting request asks whether it is still wanted.
const POLL_MS: i32 = 20;
/// How long the worker may take to start (instantiate the wasm, start WebGPU).
const START_MS: i32 = 60_000;

type RunReply = Result<Option<RunOutput>, String>;

enum Waiting {
    Ready(oneshot::Sender<Result<(), String>>),
    Started(oneshot::Sender<Result<GpuStart, String>>),
    Load {
        progress: Rc<dyn Fn(LoadProgress)>,
        done: oneshot::Sender<LoadReply>,
    },
    Run(oneshot::Sender<RunReply>),
}

#[derive(Default)]
struct Requests {
    next: Cell<u64>,
    waiting: RefCell<HashMap<u64, Waiting>>,
    stopped: RefCell<Option<String>>,
    stats: Cell<Option<WorkerStats>>,
    /// Networks built for loads nobody waited for any more, to release.
    unclaimed: RefCell<Vec<u64>>,
}

/// Request numbers of the start-up's two replies.
const READY: u64 = 0;
const STARTED: u64 = 1;

pub struct WorkerEngine {
    port: WorkerPort,
    requests: Rc<Requests>,
    /// The image the worker holds (the last one sent): held here too, so no other image can
    /// take its address while it is compared by pointer.
    sent: RefCell<Option<Rc<RgbImage>>>,
}

impl WorkerEngine {
    /// Starts the worker and its engine (`gpu`: start WebGPU there too). `on_stop` hears why
    /// the worker stopped, if it ever does after starting.
    pub async fn start(
        options: EngineOptions,
        gpu: bool,
        on_stop: Rc<dyn Fn(String)>,
    ) -> Result<(Rc<Self>, GpuStart), String> {
        let requests = Rc::new(Requests::default());
        requests.next.set(STARTED + 1);
        let started = Rc::new(Cell::new(false));
        let (ready_tx, mut ready_rx) = oneshot::channel();
        requests
            .waiting
            .borrow_mut()
            .insert(READY, Waiting::Ready(ready_tx));
        let port = {
            let (on_reply, on_error) = (requests.clone(), requests.clone());
            let started = started.clone();
            WorkerPort::spawn(
                move |data| on_reply.reply(&data),
                move |why| {
                    on_error.stop(&why);
                    if started.get() {
                        on_stop(why);
                    }
                },
            )?
        };
        let engine = Rc::new(Self {
            port,
            requests,
            sent: RefCell::new(None),
        });
        let fail = |why: String| {
            engine.port.terminate();
            Err(why)
        };
        match within(&mut ready_rx, START_MS).await {
            Some(Ok(Ok(()))) => {}
            Some(Ok(Err(why))) => return fail(why),
            _ => return fail("the worker did not start within a minute".into()),
        }
        let (started_tx, mut started_rx) = oneshot::channel();
        engine
            .requests
            .waiting
            .borrow_mut()
            .insert(STARTED, Waiting::Started(started_tx));
        engine
            .port
            .post(&ToWorker::Start { options, gpu }, None, None)?;
        match within(&mut started_rx, START_MS).await {
            Some(Ok(Ok(gpu))) => {
                started.set(true);
                Ok((engine, gpu))
            }
            Some(Ok(Err(why))) => fail(why),
            _ => fail("the worker's engine did not start within a minute".into()),
        }
    }

    /// Stops the worker (the page runs the networks itself from now on).
    pub fn terminate(&self) {
        self.port.terminate();
        self.requests.stop("the worker was stopped");
    }

    /// Tests: makes the worker trap, as a crash would.
    pub fn crash(&self) {
        let _ = self.port.post(&ToWorker::Crash, None, None);
    }

    fn id(&self) -> u64 {
        self.release_unclaimed();
        let id = self.requests.next.get();
        self.requests.next.set(id + 1);
        id
    }

    /// Posts request `id`, whose reply goes to `waiting`.
    fn request(
        &self,
        id: u64,
        waiting: Waiting,
        message: &ToWorker,
        bytes: Option<&[u8]>,
    ) -> Result<(), String> {
        self.requests.waiting.borrow_mut().insert(id, waiting);
        let posted = self.port.post(message, bytes, None);
        if posted.is_err() {
            self.requests.waiting.borrow_mut().remove(&id);
        }
        posted
    }

    fn cancel(&self, id: u64) {
        let _ = self.port.post(&ToWorker::Cancel { id }, None, None);
    }
}

impl Requests {
    fn reply(&self, data: &JsValue) {
        let received = match messages::read::<FromWorker>(data) {
            Ok(r) => r,
            Err(why) => {
                js::log(&format!(
                    "effnet: unreadable message from the worker: {why}"
                ));
                return;
            }
        };
        let take = |id: u64| self.waiting.borrow_mut().remove(&id);
        match received.message {
            FromWorker::Ready => {
                if let Some(Waiting::Ready(tx)) = take(READY) {
                    let _ = tx.send(Ok(()));
                }
            }
            FromWorker::Started { gpu } => {
                if let Some(Waiting::Started(tx)) = take(STARTED) {
                    let _ = tx.send(Ok(gpu));
                }
            }
            FromWorker::Progress { id, progress } => {
                let report = match self.waiting.borrow().get(&id) {
                    Some(Waiting::Load { progress, .. }) => Some(progress.clone()),
                    _ => None,
                };
                if let Some(report) = report {
                    report(progress);
                }
            }
            FromWorker::Loaded {
                id,
                net,
                origin,
                stats,
            } => {
                self.stats.set(Some(stats));
                match take(id) {
                    Some(Waiting::Load { done, .. }) => {
                        let _ = done.send(Ok((net, origin)));
                    }
                    // Cancelled meanwhile: the page never held it.
                    _ => self.unclaimed(net),
                }
            }
            FromWorker::LoadFailed {
                id,
                error,
                superseded,
            } => {
                if let Some(Waiting::Load { done, .. }) = take(id) {
                    let _ = done.send(Err(if superseded {
                        LoadError::Superseded
                    } else {
                        LoadError::Failed(error)
                    }));
                }
            }
            FromWorker::Ran { id, out, stats } => {
                self.stats.set(Some(stats));
                if let Some(Waiting::Run(done)) = take(id) {
                    let crop = received.bytes.unwrap_or_default();
                    let _ = done.send(out.join(crop, received.floats).map(Some));
                }
            }
            FromWorker::RunFailed { id, error } => {
                if let Some(Waiting::Run(done)) = take(id) {
                    let _ = done.send(Err(error));
                }
            }
            FromWorker::Cancelled { id } => {
                if let Some(Waiting::Run(done)) = take(id) {
                    let _ = done.send(Ok(None));
                }
            }
        }
    }

    /// A network the worker built for a load the page gave up: released with the next
    /// request.
    fn unclaimed(&self, net: u64) {
        self.unclaimed.borrow_mut().push(net);
    }

    /// The worker stopped: everyone waiting hears why.
    fn stop(&self, why: &str) {
        let message = format!("the engine's worker stopped ({why})");
        self.stopped.borrow_mut().get_or_insert(message.clone());
        for (_, waiting) in self.waiting.borrow_mut().drain() {
            match waiting {
                Waiting::Ready(tx) => drop(tx.send(Err(message.clone()))),
                Waiting::Started(tx) => drop(tx.send(Err(message.clone()))),
                Waiting::Load { done, .. } => {
                    drop(done.send(Err(LoadError::Failed(message.clone()))))
                }
                Waiting::Run(done) => drop(done.send(Err(message.clone()))),
            }
        }
    }
}

impl WorkerEngine {
    fn release_unclaimed(&self) {
        let unclaimed = std::mem::take(&mut *self.requests.unclaimed.borrow_mut());
        for net in unclaimed {
            self.release(net);
        }
    }

    /// Waits for request `id`'s reply on `rx`, asking `still_wanted` every [`POLL_MS`]; when
    /// it turns false the request is cancelled and `gave_up` is the answer.
    async fn wait<T>(
        self: Rc<Self>,
        id: u64,
        mut rx: oneshot::Receiver<T>,
        still_wanted: Rc<dyn Fn() -> bool>,
        gave_up: impl FnOnce() -> T,
        stopped: impl FnOnce(String) -> T,
    ) -> T {
        loop {
            match within(&mut rx, POLL_MS).await {
                Some(Ok(value)) => return value,
                Some(Err(_)) => {
                    let why = self.requests.stopped.borrow().clone();
                    return stopped(why.unwrap_or_else(|| "the engine's worker stopped".into()));
                }
                None => {
                    self.release_unclaimed();
                    if !still_wanted() {
                        self.cancel(id);
                        // Nobody awaits the reply now: a network the worker still finishes
                        // for this load comes back unclaimed and is released (`reply`).
                        self.requests.waiting.borrow_mut().remove(&id);
                        return gave_up();
                    }
                }
            }
        }
    }
}

/// `rx`'s value, or `None` after `ms` milliseconds.
async fn within<T>(rx: &mut oneshot::Receiver<T>, ms: i32) -> Option<Result<T, oneshot::Canceled>> {
    let timeout = js::sleep(ms).boxed_local();
    match futures_util::future::select(rx, timeout).await {
        futures_util::future::Either::Left((value, _)) => Some(value),
        futures_util::future::Either::Right(_) => None,
    }
}

impl Remote for WorkerEngineHandle {
    fn load(
        &self,
        what: LoadWhat,
        kind: BackendKind,
        progress: Rc<dyn Fn(LoadProgress)>,
        wanted: Rc<dyn Fn() -> bool>,
    ) -> LocalBoxFuture<'static, LoadReply> {
        let engine = self.0.clone();
        let id = engine.id();
        let (done, rx) = oneshot::channel();
        let message = ToWorker::Load { id, kind, what };
        if let Err(why) = engine.request(id, Waiting::Load { progress, done }, &message, None) {
            return async move { Err(LoadError::Failed(why)) }.boxed_local();
        }
        engine
            .wait(
                id,
                rx,
                wanted,
                || Err(LoadError::Superseded),
                |why| Err(LoadError::Failed(why)),
            )
            .boxed_local()
    }

    fn run(
        &self,
        net: u64,
        kind: BackendKind,
        image: &Rc<RgbImage>,
        with_cams: bool,
        cancelled: Rc<dyn Fn() -> bool>,
    ) -> LocalBoxFuture<'static, RunReply> {
        let engine = self.0.clone();
        let id = engine.id();
        let (done, rx) = oneshot::channel();
        let message = ToWorker::Run {
            id,
            net,
            kind,
            width: image.width,
            height: image.height,
            with_cams,
        };
        let held = engine
            .sent
            .borrow()
            .as_ref()
            .is_some_and(|sent| Rc::ptr_eq(sent, image));
        let bytes = (!held).then_some(image.data.as_slice());
        if let Err(why) = engine.request(id, Waiting::Run(done), &message, bytes) {
            *engine.sent.borrow_mut() = None;
            return async move { Err(why) }.boxed_local();
        }
        if !held {
            *engine.sent.borrow_mut() = Some(image.clone());
        }
        let wanted = Rc::new(move || !cancelled());
        engine.wait(id, rx, wanted, || Ok(None), Err).boxed_local()
    }

    fn release(&self, net: u64) {
        self.0.release(net);
    }

    fn stats(&self) -> Option<WorkerStats> {
        self.0.requests.stats.get()
    }
}

impl WorkerEngine {
    fn release(&self, net: u64) {
        if self.requests.stopped.borrow().is_none() {
            let _ = self.port.post(&ToWorker::Release { net }, None, None);
        }
    }
}

/// The [`Remote`] the engine holds.
pub struct WorkerEngineHandle(pub Rc<WorkerEngine>);
