//! WebGPU in this browser: the adapter it offers, and burn's device on it.

use std::cell::RefCell;

use burn::tensor::Device;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::js;
use crate::app::state::backend::AdapterInfo;

thread_local! {
    /// burn's WebGPU device, initialised once (a second initialisation is an error).
    static WGPU_DEVICE: RefCell<Option<Device>> = const { RefCell::new(None) };
}

/// Asks the browser for a WebGPU adapter and reads its description. Burn requests its own
/// adapter with the same (high-performance) preference, so this is the one it gets.
pub async fn probe_adapter() -> Result<AdapterInfo, String> {
    let navigator = js::navigator();
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
    let features = js::get(&adapter, "features");
    let shader_f16 = js::get(&features, "has")
        .dyn_into::<js_sys::Function>()
        .ok()
        .and_then(|has| has.call1(&features, &"shader-f16".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    Ok(AdapterInfo {
        vendor: text("vendor"),
        fallback: fallback.unwrap_or(false) || architecture == "swiftshader",
        architecture,
        device: text("device"),
        description: text("description"),
        shader_f16,
    })
}

/// Starts burn on WebGPU once; later calls return the same device.
pub async fn init_wgpu() -> Result<Device, String> {
    if let Some(device) = WGPU_DEVICE.with(|d| d.borrow().clone()) {
        return Ok(device);
    }
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| format!("{e}"))?;
    WGPU_DEVICE.with(|d| *d.borrow_mut() = Some(device.clone()));
    Ok(device)
}
