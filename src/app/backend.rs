//! Backend start-up: WebGPU when the browser has it (burn's wgpu runtime, initialised once,
//! asynchronously), otherwise burn's Flex CPU backend compiled to wasm, with a visible notice.
//! The visitor can switch by hand.

use std::cell::RefCell;

use burn::tensor::Device;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::AppState;
use super::js;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    WebGpu,
    Cpu,
}

impl BackendKind {
    /// Stable identifier (tests, `?backend=`).
    pub fn id(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "webgpu",
            BackendKind::Cpu => "cpu",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "WebGPU",
            BackendKind::Cpu => "CPU (burn Flex, wasm)",
        }
    }
}

/// What `navigator.gpu.requestAdapter()` says about the adapter.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AdapterInfo {
    pub vendor: String,
    pub architecture: String,
    pub device: String,
    pub description: String,
    /// A software ("fallback") adapter such as SwiftShader: correct but slow.
    pub fallback: bool,
}

impl AdapterInfo {
    pub fn summary(&self) -> String {
        let mut parts: Vec<&str> = [
            &self.vendor,
            &self.architecture,
            &self.device,
            &self.description,
        ]
        .into_iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
        parts.dedup();
        let name = if parts.is_empty() {
            "unnamed adapter".to_string()
        } else {
            parts.join(" / ")
        };
        if self.fallback {
            format!("{name} (software fallback adapter: slow)")
        } else {
            format!("{name} (hardware)")
        }
    }
}

/// Where WebGPU stands.
#[derive(Debug, Clone, PartialEq)]
pub enum GpuState {
    Probing,
    /// Not tried (`?backend=cpu`).
    Skipped,
    /// The browser offers no WebGPU, or no adapter.
    Unavailable(String),
    /// WebGPU exists but burn could not start on it.
    Failed(String),
    Ready(AdapterInfo),
}

#[derive(Debug, Clone, PartialEq)]
pub struct BackendInfo {
    /// The backend models run on; `None` while starting.
    pub active: Option<BackendKind>,
    pub gpu: GpuState,
    /// Shown when the page fell back to the CPU by itself.
    pub notice: Option<String>,
}

impl Default for BackendInfo {
    fn default() -> Self {
        Self {
            active: None,
            gpu: GpuState::Probing,
            notice: None,
        }
    }
}

thread_local! {
    /// burn's WebGPU device, initialised once (a second initialisation is an error).
    static WGPU_DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// The burn device of a backend, if it is ready.
pub fn device(kind: BackendKind) -> Option<Device> {
    match kind {
        BackendKind::Cpu => Some(Device::flex()),
        BackendKind::WebGpu => WGPU_DEVICE.with(|d| d.borrow().clone()),
    }
}

/// Asks the browser for a WebGPU adapter and reads its description. Burn requests its own
/// adapter with the same (high-performance) preference, so this is the one it gets.
async fn probe_adapter() -> Result<AdapterInfo, String> {
    let navigator: JsValue = js::window().navigator().into();
    let gpu = js::get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err("this browser does not offer WebGPU (navigator.gpu is missing)".into());
    }
    let request: js_sys::Function = js::get(&gpu, "requestAdapter")
        .dyn_into()
        .map_err(|_| "navigator.gpu.requestAdapter is missing".to_string())?;
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &options,
        &"powerPreference".into(),
        &"high-performance".into(),
    );
    let promise: js_sys::Promise = request
        .call1(&gpu, &options)
        .map_err(|e| format!("requestAdapter failed: {}", js::error_text(&e)))?
        .dyn_into()
        .map_err(|_| "requestAdapter did not return a promise".to_string())?;
    let adapter = JsFuture::from(promise)
        .await
        .map_err(|e| format!("requestAdapter failed: {}", js::error_text(&e)))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err(
            "WebGPU is present but the browser returned no adapter (blocklisted or disabled GPU)"
                .into(),
        );
    }
    let info = js::get(&adapter, "info");
    let text = |k: &str| js::get_string(&info, k).unwrap_or_default();
    // `isFallbackAdapter` moved from the adapter to its info; read both.
    let fallback = js::get(&info, "isFallbackAdapter")
        .as_bool()
        .or_else(|| js::get(&adapter, "isFallbackAdapter").as_bool());
    let architecture = text("architecture");
    Ok(AdapterInfo {
        vendor: text("vendor"),
        fallback: fallback.unwrap_or(false) || architecture == "swiftshader",
        architecture,
        device: text("device"),
        description: text("description"),
    })
}

/// Starts burn on WebGPU once; later calls return the same device.
async fn init_wgpu() -> Result<Device, String> {
    if let Some(device) = device(BackendKind::WebGpu) {
        return Ok(device);
    }
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| format!("{e}"))?;
    WGPU_DEVICE.with(|d| *d.borrow_mut() = Some(device.clone()));
    Ok(device)
}

/// Start-up: WebGPU if possible, the CPU otherwise (with a notice saying why).
pub async fn start(state: AppState) {
    let forced_cpu = js::query_param("backend").as_deref() == Some("cpu");
    if forced_cpu {
        state.backend.set(BackendInfo {
            active: Some(BackendKind::Cpu),
            gpu: GpuState::Skipped,
            notice: Some(
                "CPU backend chosen by the address (?backend=cpu); WebGPU was not tried.".into(),
            ),
        });
        return;
    }
    state.status.set("Looking for WebGPU…".into());
    let gpu = match probe_adapter().await {
        Err(why) => GpuState::Unavailable(why),
        Ok(info) => {
            state.status.set("Starting burn on WebGPU…".into());
            match init_wgpu().await {
                Ok(_) => GpuState::Ready(info),
                Err(why) => GpuState::Failed(format!(
                    "burn could not start on WebGPU ({}): {why}",
                    info.summary()
                )),
            }
        }
    };
    let (active, notice) = match &gpu {
        GpuState::Ready(_) => (BackendKind::WebGpu, None),
        GpuState::Unavailable(why) | GpuState::Failed(why) => (
            BackendKind::Cpu,
            Some(format!(
                "WebGPU is not available, so models run on the CPU (slower): {why}."
            )),
        ),
        GpuState::Probing | GpuState::Skipped => (BackendKind::Cpu, None),
    };
    js::log(&format!("effnet: backend {} ({gpu:?})", active.id()));
    state.backend.set(BackendInfo {
        active: Some(active),
        gpu,
        notice,
    });
}

/// Shows the backend in use, the adapter, and lets the visitor switch.
#[component]
pub fn BackendPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let active = move || state.backend.with(|b| b.active);
    let gpu_ready = move || state.backend.with(|b| matches!(b.gpu, GpuState::Ready(_)));
    let adapter = move || {
        state.backend.with(|b| match &b.gpu {
            GpuState::Probing => "WebGPU: checking…".to_string(),
            GpuState::Skipped => "WebGPU: not tried".to_string(),
            GpuState::Unavailable(why) => format!("WebGPU unavailable: {why}"),
            GpuState::Failed(why) => format!("WebGPU failed: {why}"),
            GpuState::Ready(info) => format!("WebGPU adapter: {}", info.summary()),
        })
    };
    let fallback = move || {
        state
            .backend
            .with(|b| matches!(&b.gpu, GpuState::Ready(i) if i.fallback))
    };
    let switch = move |kind: BackendKind| super::select_backend(state, kind);
    view! {
        <section class="panel backend" aria-label="Backend">
            <h2>"Backend"</h2>
            <p>
                "Running on: "
                <strong data-testid="backend" data-backend=move || active().map(|k| k.id()).unwrap_or("starting")>
                    {move || active().map(|k| k.label()).unwrap_or("starting…")}
                </strong>
            </p>
            <p data-testid="adapter" data-fallback=move || fallback().to_string() class="adapter">{adapter}</p>
            <Show when=move || state.backend.with(|b| b.notice.is_some())>
                <p class="notice" role="status" data-testid="backend-notice">
                    {move || state.backend.with(|b| b.notice.clone().unwrap_or_default())}
                </p>
            </Show>
            <div class="buttons">
                <button
                    data-testid="use-webgpu"
                    disabled=move || !gpu_ready() || active() == Some(BackendKind::WebGpu)
                    on:click=move |_| switch(BackendKind::WebGpu)
                >
                    "Use WebGPU"
                </button>
                <button
                    data-testid="use-cpu"
                    disabled=move || active().is_none() || active() == Some(BackendKind::Cpu)
                    on:click=move |_| switch(BackendKind::Cpu)
                >
                    "Use CPU"
                </button>
            </div>
        </section>
    }
}
