//! Offline use as the browser sees it: the service worker's state (site/boot.js publishes it as
//! `window.__effnetOffline` and fires `effnet-offline`) and persistent storage; and what the page
//! remembers between visits in `localStorage` (that f16 failed in this browser).

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

use super::js;

/// The service worker's state now ("" until site/boot.js has said).
pub fn service_worker_state() -> String {
    js::get_string(&js::window().into(), "__effnetOffline").unwrap_or_default()
}

/// Calls `changed` whenever site/boot.js reports a new service worker state.
pub fn on_service_worker_change(changed: impl Fn() + 'static) {
    let listener = Closure::<dyn Fn()>::new(changed);
    let _ = js::window()
        .add_event_listener_with_callback("effnet-offline", listener.as_ref().unchecked_ref());
    listener.forget();
}

/// `navigator.storage.persist()` (true when granted; false when refused or unavailable).
pub async fn persist() -> bool {
    let storage = js::get(&js::window().navigator().into(), "storage");
    let call = |name: &str| {
        js::get(&storage, name)
            .dyn_into::<js_sys::Function>()
            .ok()
            .and_then(|f| f.call0(&storage).ok())
            .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
    };
    if let Some(p) = call("persisted")
        && JsFuture::from(p).await.ok().and_then(|v| v.as_bool()) == Some(true)
    {
        return true;
    }
    match call("persist") {
        Some(p) => JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        None => false,
    }
}

/// The `localStorage` key set when f16 failed: the engine stopped, or its scores were not
/// finite numbers, while computing in f16.
const F16_FAILED: &str = "effnet.f16-failed";

/// Whether f16 failed in this browser before (`false` where
/// `localStorage` cannot be read).
pub fn f16_failed() -> bool {
    local_storage("getItem", &[F16_FAILED.into()]).is_some_and(|v| !v.is_null())
}

/// Remembers that f16 failed, when and why (where
/// `localStorage` allows).
pub fn remember_f16_failed(why: &str) {
    let when = String::from(js_sys::Date::new_0().to_iso_string());
    let _ = local_storage(
        "setItem",
        &[F16_FAILED.into(), format!("{when}: {why}").into()],
    );
}

/// The visitor's choice of weights precision (`f16`, `q8`), kept for later visits.
const WEIGHTS: &str = "effnet.weights";

/// The precision the visitor chose for the weights before, if any.
pub fn weights_precision() -> Option<effnet::weights::web::Precision> {
    local_storage("getItem", &[WEIGHTS.into()])
        .and_then(|v| v.as_string())
        .and_then(|p| effnet::weights::web::Precision::parse(&p))
}

/// Remembers the visitor's choice of weights precision (where `localStorage` allows).
pub fn remember_weights_precision(precision: effnet::weights::web::Precision) {
    let _ = local_storage("setItem", &[WEIGHTS.into(), precision.name().into()]);
}

fn local_storage(method: &str, args: &[wasm_bindgen::JsValue]) -> Option<wasm_bindgen::JsValue> {
    // Reading `localStorage` itself throws where storage is disabled.
    let storage = js_sys::Reflect::get(&js::window(), &"localStorage".into()).ok()?;
    js::apply(&storage, method, args).ok()
}
