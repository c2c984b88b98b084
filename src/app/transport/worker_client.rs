//! The engine's worker seen from the page: the page's [`Remote`]. Every request gets a fresh
//! [`RequestId`] and a place in the table of pending requests ([`Pending`], by what it waits
//! for); the worker's replies carry the id back and take it out of the table. A request nobody
//! wants any more is cancelled by message (a waiting request wakes at each new request of the
//! session, [`Wanted::changed`], and asks whether it is still wanted). When the worker stops,
//! every pending request fails with [`AppError::WorkerStopped`] and `on_stop` hears why.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use effnet::preprocess::RgbImage;
use effnet::session::Wanted;
use futures_channel::oneshot;
use futures_util::FutureExt;
use futures_util::future::{Either, LocalBoxFuture, select};
use wasm_bindgen::JsValue;

use crate::app::engine::ids::Counter;
use crate::app::engine::protocol::{FromWorker, LoadProgress, LoadWhat, ToWorker, WorkerStats};
use crate::app::engine::{Built, FrameId, NetId, Pixels, Remote, RequestId, RunOutput};
use crate::app::platform::js;
use crate::app::platform::messages::{self, Beside};
use crate::app::platform::worker::WorkerPort;
use crate::app::state::backend::{BackendKind, GpuStart, Precision};
use crate::app::state::error::AppError;
use crate::app::state::options::EngineOptions;

/// How long the worker may take to start (instantiate the wasm, start WebGPU).
const START_MS: i32 = 60_000;

/// What a pending request waits for.
enum Pending {
    Start(oneshot::Sender<Result<GpuStart, AppError>>),
    Load {
        progress: Rc<dyn Fn(LoadProgress)>,
        done: oneshot::Sender<Result<Built, AppError>>,
    },
    Run(oneshot::Sender<Result<RunOutput, AppError>>),
}

impl Pending {
    /// Answers the request with `error`, whatever it waits for.
    fn fail(self, error: AppError) {
        match self {
            Pending::Start(tx) => drop(tx.send(Err(error))),
            Pending::Load { done, .. } => drop(done.send(Err(error))),
            Pending::Run(done) => drop(done.send(Err(error))),
        }
    }
}

/// The page's end of the worker.
struct Link {
    port: WorkerPort,
    requests: Counter<RequestId>,
    /// The request/reply table.
    pending: RefCell<HashMap<RequestId, Pending>>,
    /// Waits for the worker's wasm to listen (once, at start).
    listening: RefCell<Option<oneshot::Sender<()>>>,
    /// Why the worker stopped, once it has.
    stopped: RefCell<Option<String>>,
    /// Whether the worker's engine started (a stop after that is heard by `on_stop`).
    started: Cell<bool>,
    stats: Cell<Option<WorkerStats>>,
    built_f16: Cell<bool>,
    /// The image the worker holds (the last one sent): held here too, so no other image can
    /// take its address while it is compared by pointer.
    sent: RefCell<Option<Rc<RgbImage>>>,
    frames: Counter<FrameId>,
    /// The video frame (an `ImageBitmap`) to move with the next frame run, by its number.
    staged: RefCell<Option<(FrameId, JsValue)>>,
}

/// A handle to the worker (clones share it).
#[derive(Clone)]
pub struct WorkerClient(Rc<Link>);

impl WorkerClient {
    /// Starts the worker and its engine (`gpu`: start WebGPU there too). `on_stop` hears why
    /// the worker stopped, if it ever does after starting.
    pub async fn start(
        options: EngineOptions,
        gpu: bool,
        on_stop: Rc<dyn Fn(String)>,
    ) -> Result<(Self, GpuStart), AppError> {
        let link = Rc::new(Link {
            port: WorkerPort::new()?,
            requests: Counter::default(),
            pending: RefCell::default(),
            listening: RefCell::default(),
            stopped: RefCell::default(),
            started: Cell::new(false),
            stats: Cell::new(None),
            built_f16: Cell::new(false),
            sent: RefCell::default(),
            frames: Counter::default(),
            staged: RefCell::default(),
        });
        // The port's callbacks hold the link weakly: the port lives inside it.
        let (on_reply, on_error) = (Rc::downgrade(&link), Rc::downgrade(&link));
        link.port.listen(
            move |data| {
                if let Some(link) = on_reply.upgrade() {
                    link.receive(&data);
                }
            },
            move |why| {
                if let Some(link) = on_error.upgrade() {
                    link.stop(&why);
                    if link.started.get() {
                        on_stop(why);
                    }
                }
            },
        );
        let client = Self(link);
        let fail = |error: AppError| {
            client.0.port.terminate();
            Err(error)
        };
        let (listening, heard) = oneshot::channel();
        *client.0.listening.borrow_mut() = Some(listening);
        client.0.port.boot()?;
        if js::within(heard, START_MS).await != Some(Ok(())) {
            let why = client.0.stopped.borrow().clone();
            return fail(AppError::WorkerStart {
                why: why.unwrap_or_else(|| "the worker did not start within a minute".into()),
            });
        }
        let id = client.0.requests.next();
        let (done, started) = oneshot::channel();
        let start = ToWorker::Start { id, options, gpu };
        client
            .0
            .post(id, Pending::Start(done), &start, Beside::default())?;
        match js::within(started, START_MS).await {
            Some(Ok(Ok(gpu))) => {
                client.0.started.set(true);
                Ok((client, gpu))
            }
            Some(Ok(Err(error))) => fail(AppError::WorkerStart {
                why: error.to_string(),
            }),
            _ => fail(AppError::WorkerStart {
                why: "the worker's engine did not start within a minute".into(),
            }),
        }
    }

    /// Keeps `bitmap` (a video frame's `ImageBitmap`) to move to the worker with the run of
    /// [`Pixels::Frame`] of the number returned; an older staged frame is closed.
    pub fn stage_frame(&self, bitmap: JsValue) -> FrameId {
        let id = self.0.frames.next();
        if let Some((_, old)) = self.0.staged.borrow_mut().replace((id, bitmap)) {
            let _ = js::call(&old, "close", &[]);
        }
        id
    }

    /// Waits for request `id`'s reply on `rx`; when `wanted` turns false meanwhile the request
    /// is cancelled and the answer is [`AppError::Cancelled`].
    async fn wait<T>(
        self,
        id: RequestId,
        mut rx: oneshot::Receiver<Result<T, AppError>>,
        wanted: Wanted,
    ) -> Result<T, AppError> {
        loop {
            // Asked first too: the request may have been stale before it was sent.
            if !wanted.get() {
                match rx.try_recv() {
                    // The reply came all the same: the caller takes (and releases) it.
                    Ok(Some(value)) => return value,
                    Ok(None) => {}
                    Err(_) => return Err(self.0.stopped_error()),
                }
                self.0.cancel(id);
                return Err(AppError::Cancelled);
            }
            match select(&mut rx, wanted.changed()).await {
                Either::Left((Ok(value), _)) => return value,
                Either::Left((Err(_), _)) => return Err(self.0.stopped_error()),
                Either::Right(_) => {}
            }
        }
    }
}

impl Link {
    /// Posts request `id` (its reply goes to `pending`) with what goes `beside` it.
    fn post(
        &self,
        id: RequestId,
        pending: Pending,
        message: &ToWorker,
        beside: Beside,
    ) -> Result<(), AppError> {
        if let Some(why) = self.stopped.borrow().clone() {
            return Err(AppError::WorkerStopped { why });
        }
        self.pending.borrow_mut().insert(id, pending);
        let posted = self.port.post(message, beside);
        if posted.is_err() {
            self.pending.borrow_mut().remove(&id);
        }
        posted
    }

    /// A message that needs no reply.
    fn tell(&self, message: &ToWorker) {
        if self.stopped.borrow().is_none() {
            let _ = self.port.post(message, Beside::default());
        }
    }

    /// Nobody awaits request `id` any more: the worker stops it, and a network it still
    /// finishes for it comes back unclaimed and is released (`receive`).
    fn cancel(&self, id: RequestId) {
        self.pending.borrow_mut().remove(&id);
        self.tell(&ToWorker::Cancel { id });
    }

    fn release(&self, net: NetId) {
        self.tell(&ToWorker::Release { net });
    }

    fn stopped_error(&self) -> AppError {
        AppError::WorkerStopped {
            why: self
                .stopped
                .borrow()
                .clone()
                .unwrap_or_else(|| "the worker was stopped".into()),
        }
    }

    fn take(&self, id: RequestId) -> Option<Pending> {
        self.pending.borrow_mut().remove(&id)
    }

    fn receive(&self, data: &JsValue) {
        let received = match messages::read::<FromWorker>(data) {
            Ok(r) => r,
            Err(why) => {
                js::log(&format!(
                    "effnet: unreadable message from the worker: {why}"
                ));
                return;
            }
        };
        match received.message {
            FromWorker::Listening => {
                if let Some(tx) = self.listening.borrow_mut().take() {
                    let _ = tx.send(());
                }
            }
            FromWorker::Started { id, gpu } => {
                if let Some(Pending::Start(tx)) = self.take(id) {
                    let _ = tx.send(Ok(gpu));
                }
            }
            FromWorker::Progress { id, progress } => {
                let report = match self.pending.borrow().get(&id) {
                    Some(Pending::Load { progress, .. }) => Some(progress.clone()),
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
                match self.take(id) {
                    Some(Pending::Load { done, .. }) => {
                        let built = Built {
                            net,
                            origin,
                            precision,
                        };
                        let _ = done.send(Ok(built));
                    }
                    // Cancelled meanwhile: the page never held it.
                    _ => self.release(net),
                }
            }
            FromWorker::Ran { id, out, stats } => {
                self.stats.set(Some(stats));
                if let Some(Pending::Run(done)) = self.take(id) {
                    let crop = received.bytes.unwrap_or_default();
                    let _ = done.send(out.join(crop, received.floats));
                }
            }
            FromWorker::Failed { id, error } => {
                if let Some(pending) = self.take(id) {
                    pending.fail(error);
                }
            }
        }
    }

    /// The worker stopped: everyone waiting hears why.
    fn stop(&self, why: &str) {
        self.stopped
            .borrow_mut()
            .get_or_insert_with(|| why.to_string());
        if let Some(tx) = self.listening.borrow_mut().take() {
            drop(tx);
        }
        let pending: Vec<Pending> = self.pending.borrow_mut().drain().map(|(_, p)| p).collect();
        for p in pending {
            p.fail(AppError::WorkerStopped { why: why.into() });
        }
    }
}

impl Remote for WorkerClient {
    fn load(
        &self,
        what: LoadWhat,
        kind: BackendKind,
        progress: Rc<dyn Fn(LoadProgress)>,
        wanted: Wanted,
    ) -> LocalBoxFuture<'static, Result<Built, AppError>> {
        let id = self.0.requests.next();
        let (done, rx) = oneshot::channel();
        let message = ToWorker::Load { id, kind, what };
        if let Err(error) = self.0.post(
            id,
            Pending::Load { progress, done },
            &message,
            Beside::default(),
        ) {
            return async move { Err(error) }.boxed_local();
        }
        self.clone().wait(id, rx, wanted).boxed_local()
    }

    fn run(
        &self,
        net: NetId,
        kind: BackendKind,
        pixels: &Pixels,
        with_cams: bool,
        wanted: Wanted,
    ) -> LocalBoxFuture<'static, Result<RunOutput, AppError>> {
        let id = self.0.requests.next();
        let (done, rx) = oneshot::channel();
        let posted = match pixels {
            Pixels::Frame(frame) => {
                let staged = self.0.staged.borrow_mut().take();
                match staged {
                    Some((staged, bitmap)) if staged == *frame => {
                        // The worker holds this frame from now on, not the image sent before.
                        *self.0.sent.borrow_mut() = None;
                        let message = ToWorker::RunFrame {
                            id,
                            net,
                            kind,
                            with_cams,
                        };
                        self.0
                            .post(id, Pending::Run(done), &message, Beside::moved(&bitmap))
                    }
                    _ => Err(AppError::FrameUnreadable {
                        detail: "a newer frame replaced it before its run".into(),
                    }),
                }
            }
            Pixels::Rgb(image) => {
                let message = ToWorker::Run {
                    id,
                    net,
                    kind,
                    width: image.width,
                    height: image.height,
                    with_cams,
                };
                let held = self
                    .0
                    .sent
                    .borrow()
                    .as_ref()
                    .is_some_and(|sent| Rc::ptr_eq(sent, image));
                let beside = if held {
                    Beside::default()
                } else {
                    Beside::bytes(&image.data)
                };
                let posted = self.0.post(id, Pending::Run(done), &message, beside);
                *self.0.sent.borrow_mut() = posted.is_ok().then(|| image.clone());
                posted
            }
        };
        if let Err(error) = posted {
            return async move { Err(error) }.boxed_local();
        }
        self.clone().wait(id, rx, wanted).boxed_local()
    }

    fn release(&self, net: NetId) {
        self.0.release(net);
    }

    fn stats(&self) -> Option<WorkerStats> {
        self.0.stats.get()
    }

    fn terminate(&self) {
        self.0.port.terminate();
        self.0.stop("the worker was stopped");
    }

    fn crash(&self) {
        self.0.tell(&ToWorker::Crash);
    }

    fn built_f16(&self) -> bool {
        self.0.built_f16.get()
    }
}
