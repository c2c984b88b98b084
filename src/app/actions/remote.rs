//! The engine's worker as the page's [`Remote`]: each load and run is a request with a number,
//! answered by the worker's replies; a request nobody wants any more is cancelled by message
//! (a waiting request wakes at each new request of the session, [`Wanted::changed`], and asks
//! whether it is still wanted). When the worker stops, every request still waiting fails and
//! `on_stop` hears why.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use effnet::preprocess::RgbImage;
use effnet::session::{LoadError, Wanted};
use futures_channel::oneshot;
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use wasm_bindgen::JsValue;

use crate::app::engine::protocol::{
    FromWorker, GpuStart, LoadProgress, LoadWhat, ToWorker, WorkerStats,
};
use crate::app::engine::remote::LoadReply;
use crate::app::engine::{Pixels, Remote, RunOutput};
use crate::app::platform::worker::WorkerPort;
use crate::app::platform::{js, messages};
use crate::app::state::backend::{BackendKind, Precision};
use crate::app::state::options::EngineOptions;

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
    /// Whether a network computing in f16 was built.
    built_f16: Cell<bool>,
}

/// Request numbers of the start-up's two replies.
const READY: u64 = 0;
const STARTED: u64 = 1;

/// A handle to the worker (clones share it).
#[derive(Clone)]
pub struct WorkerEngine(Rc<Worker>);

struct Worker {
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
    ) -> Result<(Self, GpuStart), String> {
        let requests = Rc::new(Requests::default());
        requests.next.set(STARTED + 1);
        let started = Rc::new(Cell::new(false));
        let (ready_tx, mut ready_rx) = oneshot::channel();
        requests
            .waiting
            .borrow_mut()
            .insert(READY, Waiting::Ready(ready_tx));
        // A network built for a load given up meanwhile is released as soon as it arrives.
        let this: Rc<std::cell::OnceCell<std::rc::Weak<Worker>>> = Rc::default();
        let port = {
            let (on_reply, on_error) = (requests.clone(), requests.clone());
            let (started, this) = (started.clone(), this.clone());
            WorkerPort::spawn(
                move |data| {
                    on_reply.reply(&data);
                    if let Some(worker) = this.get().and_then(std::rc::Weak::upgrade) {
                        worker.release_unclaimed();
                    }
                },
                move |why| {
                    on_error.stop(&why);
                    if started.get() {
                        on_stop(why);
                    }
                },
            )?
        };
        let engine = Self(Rc::new(Worker {
            port,
            requests,
            sent: RefCell::new(None),
        }));
        let _ = this.set(Rc::downgrade(&engine.0));
        let fail = |why: String| {
            engine.0.port.terminate();
            Err(why)
        };
        match within(&mut ready_rx, START_MS).await {
            Some(Ok(Ok(()))) => {}
            Some(Ok(Err(why))) => return fail(why),
            _ => return fail("the worker did not start within a minute".into()),
        }
        let (started_tx, mut started_rx) = oneshot::channel();
        engine
            .0
            .requests
            .waiting
            .borrow_mut()
            .insert(STARTED, Waiting::Started(started_tx));
        engine
            .0
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
}

impl Worker {
    fn id(&self) -> u64 {
        let id = self.requests.next.get();
        self.requests.next.set(id + 1);
        id
    }

    /// Posts request `id`, whose reply goes to `waiting`, with the RGB `bytes` or the frame
    /// `moved` beside it, if any.
    fn request(
        &self,
        id: u64,
        waiting: Waiting,
        message: &ToWorker,
        bytes: Option<&[u8]>,
        moved: Option<&JsValue>,
    ) -> Result<(), String> {
        self.requests.waiting.borrow_mut().insert(id, waiting);
        let posted = match moved {
            Some(object) => self.port.post_moving(message, object),
            None => self.port.post(message, bytes, None),
        };
        if posted.is_err() {
            self.requests.waiting.borrow_mut().remove(&id);
        }
        posted
    }

    fn cancel(&self, id: u64) {
        let _ = self.port.post(&ToWorker::Cancel { id }, None, None);
    }

    fn release_unclaimed(&self) {
        let unclaimed = std::mem::take(&mut *self.requests.unclaimed.borrow_mut());
        for net in unclaimed {
            self.release(net);
        }
    }

    fn release(&self, net: u64) {
        if self.requests.stopped.borrow().is_none() {
            let _ = self.port.post(&ToWorker::Release { net }, None, None);
        }
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
                precision,
                stats,
            } => {
                self.stats.set(Some(stats));
                if precision == Precision::F16 {
                    self.built_f16.set(true);
                }
                match take(id) {
                    Some(Waiting::Load { done, .. }) => {
                        let _ = done.send(Ok((net, origin, precision)));
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

    /// A network the worker built for a load the page gave up: released once the reply is
    /// read.
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
    /// Waits for request `id`'s reply on `rx`; when `wanted` turns false meanwhile the
    /// request is cancelled and `gave_up` is the answer.
    async fn wait<T>(
        self,
        id: u64,
        mut rx: oneshot::Receiver<T>,
        wanted: Wanted,
        gave_up: impl FnOnce() -> T,
        stopped: impl FnOnce(String) -> T,
    ) -> T {
        use futures_util::future::{Either, select};
        let stopped = |this: &Self| {
            let why = this.0.requests.stopped.borrow().clone();
            stopped(why.unwrap_or_else(|| "the engine's worker stopped".into()))
        };
        loop {
            // Asked first too: the request may have been stale before it was sent.
            if !wanted.get() {
                match rx.try_recv() {
                    // The reply came all the same: the caller takes (and releases) it.
                    Ok(Some(value)) => return value,
                    Ok(None) => {}
                    Err(_) => return stopped(&self),
                }
                self.0.cancel(id);
                // Nobody awaits the reply now: a network the worker still finishes for this
                // load comes back unclaimed and is released (`reply`).
                self.0.requests.waiting.borrow_mut().remove(&id);
                return gave_up();
            }
            match select(&mut rx, wanted.changed()).await {
                Either::Left((Ok(value), _)) => return value,
                Either::Left((Err(_), _)) => return stopped(&self),
                Either::Right(_) => {}
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

impl Remote for WorkerEngine {
    fn load(
        &self,
        what: LoadWhat,
        kind: BackendKind,
        progress: Rc<dyn Fn(LoadProgress)>,
        wanted: Wanted,
    ) -> LocalBoxFuture<'static, LoadReply> {
        let engine = self.clone();
        let id = engine.0.id();
        let (done, rx) = oneshot::channel();
        let message = ToWorker::Load { id, kind, what };
        if let Err(why) =
            engine
                .0
                .request(id, Waiting::Load { progress, done }, &message, None, None)
        {
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
        pixels: &Pixels,
        with_cams: bool,
        wanted: Wanted,
    ) -> LocalBoxFuture<'static, RunReply> {
        let engine = self.clone();
        let id = engine.0.id();
        let (done, rx) = oneshot::channel();
        let image = match pixels {
            Pixels::Rgb(image) => image,
            Pixels::Frame(frame) => {
                let message = ToWorker::RunFrame {
                    id,
                    net,
                    kind,
                    with_cams,
                };
                // The worker holds this frame from now on, not the image sent before.
                *engine.0.sent.borrow_mut() = None;
                let Some(bitmap) = frame.downcast_ref::<JsValue>() else {
                    return async { Err("a frame that is not a JavaScript object".into()) }
                        .boxed_local();
                };
                let sent = engine
                    .0
                    .request(id, Waiting::Run(done), &message, None, Some(bitmap));
                if let Err(why) = sent {
                    return async move { Err(why) }.boxed_local();
                }
                return engine.wait(id, rx, wanted, || Ok(None), Err).boxed_local();
            }
        };
        let message = ToWorker::Run {
            id,
            net,
            kind,
            width: image.width,
            height: image.height,
            with_cams,
        };
        let held = engine
            .0
            .sent
            .borrow()
            .as_ref()
            .is_some_and(|sent| Rc::ptr_eq(sent, image));
        let bytes = (!held).then_some(image.data.as_slice());
        if let Err(why) = engine
            .0
            .request(id, Waiting::Run(done), &message, bytes, None)
        {
            *engine.0.sent.borrow_mut() = None;
            return async move { Err(why) }.boxed_local();
        }
        if !held {
            *engine.0.sent.borrow_mut() = Some(image.clone());
        }
        engine.wait(id, rx, wanted, || Ok(None), Err).boxed_local()
    }

    fn release(&self, net: u64) {
        self.0.release(net);
    }

    fn stats(&self) -> Option<WorkerStats> {
        self.0.requests.stats.get()
    }

    fn terminate(&self) {
        self.0.port.terminate();
        self.0.requests.stop("the worker was stopped");
    }

    fn crash(&self) {
        let _ = self.0.port.post(&ToWorker::Crash, None, None);
    }

    fn built_f16(&self) -> bool {
        self.0.requests.built_f16.get()
    }
}
