//! The engine: loads networks onto a backend and runs them, with no leptos and no web_sys in
//! it. Its [`Session`](effnet::session::Session) (from the core, tested natively) holds the
//! loaded networks, the current image, the generation counter and the busy flag; every way into
//! a forward pass (classify, webcam, compare, the explorer) goes through [`Engine::run`].
//! Results come back as values; time, yielding and the weights files come from the [`Host`]
//! the composition root hands in.

pub mod build;
pub mod ids;
pub mod loaded;
pub mod network;
pub mod protocol;
pub mod remote;
mod run;
pub mod synthetic;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use burn::tensor::{DType, Device, Tensor};
use effnet::Variant;
use effnet::preprocess::{Preprocessing, RgbImage};
use effnet::session::{Interest, Session, Ticket, Wanted};
use effnet::weights::manifest::ManifestEntry;
use futures_util::future::LocalBoxFuture;

pub use effnet::cube::{depthwise as depthwise_gpu, preprocess as preprocess_gpu};
pub use ids::{FrameId, NetId, RequestId};
pub use loaded::{Loaded, Net};
pub use remote::{Built, Remote, WorkerNet};
pub use run::RunOutput;

use crate::app::state::backend::{BackendKind, HalfChoice, Precision};
use crate::app::state::error::AppError;
use crate::app::state::load::WeightsOrigin;
use crate::app::state::options::EngineOptions;

/// A network in memory is named by its variant and backend.
pub type Key = (Variant, BackendKind);

/// The current still image and its name (re-run when the variant or backend changes).
pub type CurrentImage = (Rc<RgbImage>, String);

pub type ModelSession = Session<Key, Loaded, AppError, CurrentImage>;

/// How many networks stay in memory (B7 alone is ~265 MB of f32 parameters).
const KEEP_MODELS: usize = 2;

/// What a run classifies.
#[derive(Clone)]
pub enum Pixels {
    /// Decoded RGB: a photo, a blank warm-up picture, a frame read on this thread.
    Rgb(Rc<RgbImage>),
    /// A video frame that only the engine's worker reads: the worker's client holds it (staged
    /// under this number) and moves it to the worker with the request, so the page's thread
    /// never touches its pixels.
    Frame(FrameId),
}

impl From<&Rc<RgbImage>> for Pixels {
    fn from(image: &Rc<RgbImage>) -> Self {
        Pixels::Rgb(image.clone())
    }
}

impl From<Rc<RgbImage>> for Pixels {
    fn from(image: Rc<RgbImage>) -> Self {
        Pixels::Rgb(image)
    }
}

/// A weights file's progress callback: bytes so far, of how many.
pub type Downloaded = Rc<dyn Fn(u64, u64)>;

/// What the engine needs from where it runs: a clock, the event loop, and the weights files.
pub trait Host {
    /// Milliseconds on a monotonic clock.
    fn now(&self) -> f64;
    /// Gives the event loop a turn.
    fn yield_now(&self) -> LocalBoxFuture<'static, ()>;
    /// Waits `ms` milliseconds without blocking (`0`: lets the page paint first).
    fn sleep(&self, ms: i32) -> LocalBoxFuture<'static, ()>;
    /// The bytes of `entry`'s file, checked against its sha256, and where they came from
    /// (calling `progress` as they arrive). [`AppError::Cancelled`] once `wanted` turns false.
    fn fetch_weights(
        &self,
        entry: ManifestEntry,
        progress: Downloaded,
        wanted: Wanted,
    ) -> LocalBoxFuture<'static, Result<(Vec<u8>, WeightsOrigin), AppError>>;
}

/// Whether the CPU backend's matrix products use wasm SIMD (`window.__effnet.wasmSimd`).
pub fn wasm_simd() -> bool {
    gemm_common::get_wasm_simd128()
}

/// A run's input as the pass got it, for the dev tools' comparison with the CPU's
/// (`?prepcheck`).
pub struct InputCheck {
    pub preprocessing: Preprocessing,
    pub image: RgbImage,
    pub input: Tensor<4>,
    pub crop: RgbImage,
}

/// What the dev tools do with a run's input (awaited before the run's result is returned).
pub type InputCheckHook = Rc<dyn Fn(InputCheck) -> LocalBoxFuture<'static, ()>>;

pub struct Engine {
    pub session: ModelSession,
    options: Cell<EngineOptions>,
    host: Rc<dyn Host>,
    gpu: Rc<RefCell<Option<Device>>>,
    input_check: RefCell<Option<InputCheckHook>>,
    /// The worker that builds and runs the networks, when there is one (and whether WebGPU
    /// runs there).
    remote: RefCell<Option<Rc<dyn Remote>>>,
    remote_gpu: Cell<bool>,
}

impl Engine {
    pub fn new(options: EngineOptions, host: Rc<dyn Host>) -> Self {
        // The CPU backend's matrix products (burn Flex → the `gemm` crate) have WebAssembly
        // SIMD kernels compiled in, but gemm only uses them when told to. Every browser with
        // WebGPU runs wasm SIMD; `?simd=off` leaves them off, to compare.
        gemm_common::set_wasm_simd128(options.wasm_simd);
        let gpu: Rc<RefCell<Option<Device>>> = Rc::default();
        let session = {
            let gpu = gpu.clone();
            Session::new(KEEP_MODELS, move |&(_, kind): &Key| {
                // The evicted network's tensors went back to the pools: hand the pages back.
                let device = match kind {
                    BackendKind::Cpu => Some(Device::flex()),
                    BackendKind::WebGpu => gpu.borrow().clone(),
                };
                if let Some(device) = device {
                    device.memory_cleanup();
                }
            })
        };
        Self {
            session,
            options: Cell::new(options),
            host,
            gpu,
            input_check: RefCell::new(None),
            remote: RefCell::new(None),
            remote_gpu: Cell::new(false),
        }
    }

    /// Networks built on this thread from now on compute in f32; those built so far are
    /// forgotten (they load again from the browser's cache).
    pub fn compute_in_f32(&self) {
        let mut options = self.options.get();
        options.f16 = HalfChoice::Off;
        self.options.set(options);
        self.session.forget_all();
    }

    /// Builds and runs networks in `remote` from now on (`gpu`: WebGPU runs there), or here
    /// (`None`).
    pub fn set_remote(&self, remote: Option<Rc<dyn Remote>>, gpu: bool) {
        *self.remote.borrow_mut() = remote;
        self.remote_gpu.set(gpu);
    }

    /// The worker, when networks run in one.
    pub fn remote(&self) -> Option<Rc<dyn Remote>> {
        self.remote.borrow().clone()
    }

    /// Whether networks can be built on `kind` now.
    pub fn ready(&self, kind: BackendKind) -> bool {
        match (self.remote.borrow().is_some(), kind) {
            (_, BackendKind::Cpu) => true,
            (true, BackendKind::WebGpu) => self.remote_gpu.get(),
            (false, BackendKind::WebGpu) => self.gpu.borrow().is_some(),
        }
    }

    /// burn's WebGPU device, once the page has started it.
    pub fn set_gpu(&self, device: Device) {
        *self.gpu.borrow_mut() = Some(device);
    }

    /// The burn device of a backend, if it is ready.
    pub fn device(&self, kind: BackendKind) -> Option<Device> {
        match kind {
            BackendKind::Cpu => Some(Device::flex()),
            BackendKind::WebGpu => self.gpu.borrow().clone(),
        }
    }

    /// Hands every run's input to `check` (dev tools only; with [`EngineOptions::check_inputs`]).
    pub fn set_input_check(&self, check: InputCheckHook) {
        *self.input_check.borrow_mut() = Some(check);
    }

    async fn check_input(&self, check: InputCheck) {
        let hook = self.input_check.borrow().clone();
        if let Some(hook) = hook {
            hook(check).await;
        }
    }

    /// `model` set up for `kind` with this engine's options, kept with how it is fed. It
    /// computes in f16 where the options and the device allow it
    /// ([`HalfChoice::precision`](crate::app::state::backend::HalfChoice::precision)).
    pub fn prepare(
        &self,
        model: effnet::EfficientNet,
        kind: BackendKind,
        preprocessing: Preprocessing,
        weights: Option<String>,
    ) -> Loaded {
        let half = self
            .device(kind)
            .is_some_and(|d| d.supports_dtype(DType::F16));
        let options = self.options.get();
        let precision = options.f16.precision(kind, half);
        let model = network::for_backend(model, kind, &options);
        let model = match precision {
            Precision::F16 => model.with_dtype(DType::F16),
            Precision::F32 => model,
        };
        Loaded::new(
            Net::Here(Box::new(model)),
            preprocessing,
            weights,
            precision,
        )
    }

    /// Runs `loaded` on `pixels` as part of the request `ticket` (`None`: a run nobody can
    /// supersede); [`AppError::Cancelled`] when a newer request superseded it meanwhile. The
    /// session is busy while it runs.
    pub async fn run(
        &self,
        loaded: &Loaded,
        pixels: impl Into<Pixels>,
        kind: BackendKind,
        with_cams: bool,
        ticket: Option<Ticket>,
    ) -> Result<RunOutput, AppError> {
        let _busy = self.session.begin_run();
        let wanted = self
            .session
            .wanted_by(ticket.map_or(Interest::Always, Interest::Request));
        match (&loaded.net, pixels.into()) {
            (Net::InWorker(net), pixels) => {
                let asked = self.host.now();
                let mut out = net
                    .remote
                    .run(net.id, kind, &pixels, with_cams, wanted)
                    .await?;
                out.transfer_ms = (self.host.now() - asked - out.worker_ms).max(0.0);
                Ok(out)
            }
            (Net::Here(_), Pixels::Rgb(image)) => {
                self.run_here(loaded, &image, kind, with_cams, &wanted)
                    .await
            }
            (Net::Here(_), Pixels::Frame(_)) => Err(AppError::FrameNeedsWorker),
        }
    }
}
