//! The engine's Web Worker: the second composition root, run when the page's wasm starts in
//! `site/worker.js` instead of a window. It owns the engine (WebGPU device, Flex CPU backend),
//! the weights it fetches and the networks it builds, and answers the page's messages
//! ([`ToWorker`] → [`FromWorker`]); the page renders and sends images.
//!
//! Loads and runs go on concurrently as the page asks (the page's session decides what is
//! still wanted and cancels the rest by message; a CPU pass looks at its cancellation between
//! slices, as on the page's thread).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use effnet::preprocess::RgbImage;
use effnet::session::LoadError;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use wasm_bindgen_futures::spawn_local;

use crate::app::actions::host::Browser;
use crate::app::actions::load::build_here;
use crate::app::engine::protocol::{
    FromWorker, GpuStart, LoadProgress, LoadWhat, RunSummary, ToWorker, WorkerStats,
};
use crate::app::engine::{Engine, Loaded, depthwise_gpu, preprocess_gpu};
use crate::app::platform::{frame, gpu, js, memory, messages};
use crate::app::state::backend::BackendKind;
use crate::app::state::options::EngineOptions;

thread_local! {
    static ENGINE: RefCell<Option<Rc<Engine>>> = const { RefCell::new(None) };
    /// The networks the page holds, by number.
    static NETS: RefCell<HashMap<u64, (Rc<Loaded>, BackendKind)>> = RefCell::new(HashMap::new());
    static NEXT_NET: Cell<u64> = const { Cell::new(1) };
    static IMAGES_RECEIVED: Cell<u32> = const { Cell::new(0) };
    static FRAMES_RECEIVED: Cell<u32> = const { Cell::new(0) };
    /// The image the page sent last (runs without bytes use it).
    static IMAGE: RefCell<Option<Rc<RgbImage>>> = const { RefCell::new(None) };
    /// Requests the page cancelled (removed when they end).
    static CANCELLED: RefCell<HashSet<u64>> = RefCell::new(HashSet::new());
}

/// Listens to the page (call once, when the wasm starts in the worker).
pub fn serve() {
    let handler =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(|event: web_sys::MessageEvent| {
            on_message(event.data())
        });
    js::set(
        &js_sys::global(),
        "onmessage",
        handler.as_ref().unchecked_ref(),
    );
    handler.forget();
    post(&FromWorker::Ready, None, None);
}

fn post(message: &FromWorker, bytes: Option<&[u8]>, floats: Option<&[f32]>) {
    if let Err(why) = messages::post(&js_sys::global(), message, bytes, floats) {
        js::log(&format!("effnet worker: cannot reply: {why}"));
    }
}

fn on_message(data: JsValue) {
    let received = match messages::read::<ToWorker>(&data) {
        Ok(r) => r,
        Err(why) => return js::log(&format!("effnet worker: unreadable message: {why}")),
    };
    match received.message {
        ToWorker::Start { options, gpu } => spawn_local(start(options, gpu)),
        ToWorker::Load { id, kind, what } => spawn_local(load(id, kind, what)),
        ToWorker::Run {
            id,
            net,
            kind,
            width,
            height,
            with_cams,
        } => {
            let image = match received.bytes {
                Some(data) => Some(hold(RgbImage {
                    width,
                    height,
                    data,
                })),
                None => IMAGE
                    .with(|i| i.borrow().clone())
                    .filter(|i| i.width == width && i.height == height),
            };
            spawn_local(run(id, net, kind, image, with_cams));
        }
        ToWorker::RunFrame {
            id,
            net,
            kind,
            with_cams,
        } => {
            let frame = received
                .moved
                .ok_or_else(|| "a frame request without its frame".to_string())
                .and_then(|bitmap| frame::read(&bitmap));
            match frame {
                Ok(image) => {
                    FRAMES_RECEIVED.with(|n| n.set(n.get() + 1));
                    spawn_local(run(id, net, kind, Some(hold(image)), with_cams));
                }
                Err(error) => {
                    done(id);
                    post(&FromWorker::RunFailed { id, error }, None, None);
                }
            }
        }
        ToWorker::Cancel { id } => {
            CANCELLED.with(|c| c.borrow_mut().insert(id));
        }
        ToWorker::Release { net } => release(net),
        // A trap in the worker's wasm, as a real crash would be: the page hears an error.
        ToWorker::Crash => std::process::abort(),
    }
}

/// Keeps `image`, just received, as the image later runs without pixels use.
fn hold(image: RgbImage) -> Rc<RgbImage> {
    let image = Rc::new(image);
    IMAGE.with(|i| *i.borrow_mut() = Some(image.clone()));
    IMAGES_RECEIVED.with(|n| n.set(n.get() + 1));
    image
}

fn engine() -> Option<Rc<Engine>> {
    ENGINE.with(|e| e.borrow().clone())
}

fn cancelled(id: u64) -> bool {
    CANCELLED.with(|c| c.borrow().contains(&id))
}

fn done(id: u64) {
    CANCELLED.with(|c| c.borrow_mut().remove(&id));
}

async fn start(options: EngineOptions, want_gpu: bool) {
    let engine = Rc::new(Engine::new(options, Rc::new(Browser)));
    let gpu = if !want_gpu {
        GpuStart::NotAsked
    } else {
        match gpu::probe_adapter().await {
            Err(why) => GpuStart::Unavailable(why),
            Ok(info) => match gpu::init_wgpu().await {
                Ok(device) => {
                    engine.set_gpu(device);
                    GpuStart::Ready(info)
                }
                Err(why) => GpuStart::Failed(why),
            },
        }
    };
    js::log(&format!("effnet worker: engine started, WebGPU {gpu:?}"));
    ENGINE.with(|e| *e.borrow_mut() = Some(engine));
    post(&FromWorker::Started { gpu }, None, None);
}

async fn load(id: u64, kind: BackendKind, what: LoadWhat) {
    let Some(engine) = engine() else {
        return post(
            &FromWorker::LoadFailed {
                id,
                error: "the worker's engine has not started".into(),
                superseded: false,
            },
            None,
            None,
        );
    };
    let progress = Rc::new(move |progress: LoadProgress| {
        post(&FromWorker::Progress { id, progress }, None, None)
    });
    let wanted = Rc::new(move || !cancelled(id));
    let built = build_here(&engine, what, kind, None, progress, wanted).await;
    let reply = match built {
        Ok(_) if cancelled(id) => FromWorker::LoadFailed {
            id,
            error: String::new(),
            superseded: true,
        },
        Ok((loaded, origin)) => {
            let net = NEXT_NET.with(|n| {
                let net = n.get();
                n.set(net + 1);
                net
            });
            let precision = loaded.precision;
            NETS.with(|n| n.borrow_mut().insert(net, (Rc::new(loaded), kind)));
            FromWorker::Loaded {
                id,
                net,
                origin,
                precision,
                stats: stats(&engine),
            }
        }
        Err(e) => FromWorker::LoadFailed {
            id,
            superseded: e.is_superseded(),
            error: match e {
                LoadError::Failed(why) => why,
                LoadError::Superseded => String::new(),
            },
        },
    };
    done(id);
    post(&reply, None, None);
}

async fn run(id: u64, net: u64, kind: BackendKind, image: Option<Rc<RgbImage>>, with_cams: bool) {
    let Some(image) = image else {
        done(id);
        let error = "the worker holds no image of that size to run again".to_string();
        return post(&FromWorker::RunFailed { id, error }, None, None);
    };
    let found = NETS.with(|n| n.borrow().get(&net).map(|(l, _)| l.clone()));
    let (Some(engine), Some(loaded)) = (engine(), found) else {
        done(id);
        let error =
            format!("network {net} is not in the worker (released, or the worker restarted)");
        return post(&FromWorker::RunFailed { id, error }, None, None);
    };
    let result = engine
        .run_here(&loaded, &image, kind, with_cams, &|| cancelled(id))
        .await;
    done(id);
    match result {
        Ok(Some(out)) => {
            let (out, crop, maps) = RunSummary::split(out);
            let stats = stats(&engine);
            post(
                &FromWorker::Ran { id, out, stats },
                Some(&crop),
                maps.as_deref(),
            );
        }
        Ok(None) => post(&FromWorker::Cancelled { id }, None, None),
        Err(error) => post(&FromWorker::RunFailed { id, error }, None, None),
    }
}

fn release(net: u64) {
    let Some((loaded, kind)) = NETS.with(|n| n.borrow_mut().remove(&net)) else {
        return;
    };
    drop(loaded);
    // Its tensors went back to the pools: hand the pages back (as the page's session does).
    if let Some(device) = engine().and_then(|e| e.device(kind)) {
        device.memory_cleanup();
    }
}

fn stats(engine: &Engine) -> WorkerStats {
    let (depthwise_launched, depthwise_declined) = depthwise_gpu::counts();
    let gpu = engine.device(BackendKind::WebGpu);
    WorkerStats {
        depthwise_launched,
        depthwise_declined,
        gpu_preprocess_runs: preprocess_gpu::runs(),
        images_received: IMAGES_RECEIVED.with(Cell::get),
        frames_received: FRAMES_RECEIVED.with(Cell::get),
        memory: memory::sample(0, gpu.as_ref()),
    }
}
