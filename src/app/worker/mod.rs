//! The engine's Web Worker: the second composition root, run when the page's wasm starts in
//! `site/worker.js` instead of a window. It owns the engine (WebGPU device, Flex CPU backend),
//! the weights it fetches and the networks it builds — all in one [`Worker`] — and answers the
//! page's messages ([`ToWorker`] → [`FromWorker`]); the page renders and sends images.
//!
//! Loads and runs go on concurrently as the page asks (the page's session decides what is
//! still wanted and cancels the rest by message; a CPU pass looks at its cancellation between
//! slices, as on the page's thread).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use effnet::preprocess::RgbImage;
use effnet::session::{Cancel, Wanted};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::spawn_local;

use crate::app::engine::ids::Counter;
use crate::app::engine::protocol::{
    FromWorker, LoadProgress, LoadWhat, RunSummary, ToWorker, WorkerStats,
};
use crate::app::engine::{Engine, Loaded, NetId, RequestId, depthwise_gpu, preprocess_gpu};
use crate::app::platform::frame::FrameReader;
use crate::app::platform::messages::{self, Beside};
use crate::app::platform::{js, memory};
use crate::app::state::backend::BackendKind;
use crate::app::state::error::AppError;
use crate::app::state::options::EngineOptions;
use crate::app::transport::{self, host::Browser};

/// A run the page asked for: which network, where, with or without maps, whether it is still
/// wanted, and when its request arrived (the worker's part of the visitor's wait starts there).
struct Run {
    id: RequestId,
    net: NetId,
    kind: BackendKind,
    with_cams: bool,
    wanted: Wanted,
    arrived: f64,
}

/// Everything the worker holds.
#[derive(Default)]
struct Worker {
    /// Made by the page's `Start`.
    engine: RefCell<Option<Rc<Engine>>>,
    /// The networks the page holds, by number.
    nets: RefCell<HashMap<NetId, (Rc<Loaded>, BackendKind)>>,
    net_ids: Counter<NetId>,
    /// The image the page sent last (runs without bytes use it).
    image: RefCell<Option<Rc<RgbImage>>>,
    images_received: Cell<u32>,
    frames_received: Cell<u32>,
    frames: FrameReader,
    /// How to cancel each request under way.
    cancels: RefCell<HashMap<RequestId, Cancel>>,
}

/// Listens to the page (call once, when the wasm starts in the worker).
pub fn serve() {
    let worker = Rc::new(Worker::default());
    let handler =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            worker.clone().on_message(event.data())
        });
    js::set(
        &js_sys::global(),
        "onmessage",
        handler.as_ref().unchecked_ref(),
    );
    // The worker's handler lives as long as the worker.
    handler.forget();
    post(&FromWorker::Listening, Beside::default());
}

fn post(message: &FromWorker, beside: Beside) {
    if let Err(why) = messages::post(&js_sys::global(), message, beside) {
        js::log(&format!("effnet worker: cannot reply: {why}"));
    }
}

fn fail(id: RequestId, error: AppError) {
    post(&FromWorker::Failed { id, error }, Beside::default());
}

impl Worker {
    fn on_message(self: Rc<Self>, data: JsValue) {
        let arrived = js::now();
        let received = match messages::read::<ToWorker>(&data) {
            Ok(r) => r,
            Err(why) => return js::log(&format!("effnet worker: unreadable message: {why}")),
        };
        match received.message {
            ToWorker::Start { id, options, gpu } => spawn_local(self.start(id, options, gpu)),
            ToWorker::Load { id, kind, what } => {
                let wanted = self.begin(id);
                spawn_local(self.load(id, kind, what, wanted))
            }
            ToWorker::Run {
                id,
                net,
                kind,
                width,
                height,
                with_cams,
            } => {
                let image = match received.bytes {
                    Some(data) => Some(self.hold(RgbImage {
                        width,
                        height,
                        data,
                    })),
                    None => self
                        .image
                        .borrow()
                        .clone()
                        .filter(|i| i.width == width && i.height == height),
                };
                let run = Run {
                    id,
                    net,
                    kind,
                    with_cams,
                    wanted: self.begin(id),
                    arrived,
                };
                spawn_local(self.run(run, image));
            }
            ToWorker::RunFrame {
                id,
                net,
                kind,
                with_cams,
            } => {
                let frame = received
                    .moved
                    .ok_or_else(|| AppError::FrameUnreadable {
                        detail: "a frame request without its frame".into(),
                    })
                    .and_then(|bitmap| self.frames.read(&bitmap));
                match frame {
                    Ok(image) => {
                        self.frames_received.set(self.frames_received.get() + 1);
                        let image = self.hold(image);
                        let run = Run {
                            id,
                            net,
                            kind,
                            with_cams,
                            wanted: self.begin(id),
                            arrived,
                        };
                        spawn_local(self.run(run, Some(image)));
                    }
                    Err(error) => fail(id, error),
                }
            }
            ToWorker::Cancel { id } => {
                if let Some(cancel) = self.cancels.borrow().get(&id) {
                    cancel.cancel();
                }
            }
            ToWorker::Release { net } => self.release(net),
            // A trap in the worker's wasm, as a real crash would be: the page hears an error.
            ToWorker::Crash => std::process::abort(),
        }
    }

    /// Request `id` begins: what tells whether the page still wants it.
    fn begin(&self, id: RequestId) -> Wanted {
        let (wanted, cancel) = Wanted::until_cancelled();
        self.cancels.borrow_mut().insert(id, cancel);
        wanted
    }

    /// Request `id` ended (a late `Cancel` finds nothing to do).
    fn end(&self, id: RequestId) {
        self.cancels.borrow_mut().remove(&id);
    }

    /// Keeps `image`, just received, as the image later runs without pixels use.
    fn hold(&self, image: RgbImage) -> Rc<RgbImage> {
        let image = Rc::new(image);
        *self.image.borrow_mut() = Some(image.clone());
        self.images_received.set(self.images_received.get() + 1);
        image
    }

    fn engine(&self) -> Option<Rc<Engine>> {
        self.engine.borrow().clone()
    }

    async fn start(self: Rc<Self>, id: RequestId, options: EngineOptions, want_gpu: bool) {
        let engine = Rc::new(Engine::new(options, Rc::new(Browser::default())));
        let gpu = transport::gpu::start(&engine, want_gpu, |_| {}).await;
        js::log(&format!("effnet worker: engine started, WebGPU {gpu:?}"));
        *self.engine.borrow_mut() = Some(engine);
        post(&FromWorker::Started { id, gpu }, Beside::default());
    }

    async fn load(
        self: Rc<Self>,
        id: RequestId,
        kind: BackendKind,
        what: LoadWhat,
        wanted: Wanted,
    ) {
        let Some(engine) = self.engine() else {
            self.end(id);
            return fail(
                id,
                AppError::WorkerStart {
                    why: "the worker's engine has not started".into(),
                },
            );
        };
        let progress = Rc::new(move |progress: LoadProgress| {
            post(&FromWorker::Progress { id, progress }, Beside::default())
        });
        let built = engine.build_here(what, kind, None, progress, &wanted).await;
        self.end(id);
        let built = built.and_then(|b| {
            if wanted.get() {
                Ok(b)
            } else {
                Err(AppError::Cancelled)
            }
        });
        match built {
            Ok((loaded, origin)) => {
                let net = self.net_ids.next();
                let precision = loaded.precision;
                self.nets.borrow_mut().insert(net, (Rc::new(loaded), kind));
                let stats = self.stats(&engine);
                let reply = FromWorker::Loaded {
                    id,
                    net,
                    origin,
                    precision,
                    stats,
                };
                post(&reply, Beside::default());
            }
            Err(error) => fail(id, error),
        }
    }

    async fn run(self: Rc<Self>, run: Run, image: Option<Rc<RgbImage>>) {
        let Run {
            id,
            net,
            kind,
            with_cams,
            wanted,
            arrived,
        } = run;
        let found = self.nets.borrow().get(&net).map(|(l, _)| l.clone());
        let ran = match (image, self.engine(), found) {
            (None, _, _) => Err(AppError::NoImageHeld),
            (Some(image), Some(engine), Some(loaded)) => engine
                .run_here(&loaded, &image, kind, with_cams, &wanted)
                .await
                .map(|out| (out, self.stats(&engine))),
            _ => Err(AppError::NetworkGone { net: net.0 }),
        };
        self.end(id);
        match ran {
            Ok((out, stats)) => {
                let (out, crop, maps) = RunSummary::split(out, js::now() - arrived);
                let beside = Beside {
                    bytes: Some(&crop),
                    floats: maps.as_deref(),
                    moved: None,
                };
                post(&FromWorker::Ran { id, out, stats }, beside);
            }
            Err(error) => fail(id, error),
        }
    }

    fn release(&self, net: NetId) {
        let Some((loaded, kind)) = self.nets.borrow_mut().remove(&net) else {
            return;
        };
        drop(loaded);
        // Its tensors went back to the pools: hand the pages back (as the page's session does).
        if let Some(device) = self.engine().and_then(|e| e.device(kind)) {
            device.memory_cleanup();
        }
    }

    fn stats(&self, engine: &Engine) -> WorkerStats {
        let (depthwise_launched, depthwise_declined) = depthwise_gpu::counts();
        let gpu = engine.device(BackendKind::WebGpu);
        WorkerStats {
            depthwise_launched,
            depthwise_declined,
            gpu_preprocess_runs: preprocess_gpu::runs(),
            images_received: self.images_received.get(),
            frames_received: self.frames_received.get(),
            memory: memory::sample(0, gpu.as_ref()),
        }
    }
}
