//! WebGPU in this browser: the adapter it offers, and burn's device on it.

use burn::tensor::Device;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::js;
use crate::app::state::backend::AdapterInfo;
use crate::app::state::error::AppError;

/// Asks the browser for a WebGPU adapter and reads its description. Burn requests its own
/// adapter with the same (high-performance) preference, so this is the one it gets.
pub async fn probe_adapter() -> Result<AdapterInfo, AppError> {
    let navigator = js::navigator();
    let gpu = js::get(&navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err(AppError::browser(
            "this browser does not offer WebGPU (navigator.gpu is missing)",
        ));
    }
    let request: js_sys::Function = js::get(&gpu, "requestAdapter")
        .dyn_into()
        .map_err(|_| AppError::browser("navigator.gpu.requestAdapter is missing"))?;
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &options,
        &"powerPreference".into(),
        &"high-performance".into(),
    );
    let promise: js_sys::Promise = request
        .call1(&gpu, &options)
        .map_err(|e| failed(&e))?
        .dyn_into()
        .map_err(|_| AppError::browser("requestAdapter did not return a promise"))?;
    let adapter = JsFuture::from(promise).await.map_err(|e| failed(&e))?;
    if adapter.is_null() || adapter.is_undefined() {
        return Err(AppError::browser(
            "WebGPU is present but the browser returned no adapter (blocklisted or disabled GPU)",
        ));
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

fn failed(error: &wasm_bindgen::JsValue) -> AppError {
    AppError::browser(format!("requestAdapter failed: {}", js::error_text(error)))
}

/// Starts burn on WebGPU. Once per thread: a second initialisation is an error (whoever holds
/// the device keeps it: the engine).
pub async fn init_wgpu() -> Result<Device, AppError> {
    Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| AppError::browser(format!("{e}")))
}
