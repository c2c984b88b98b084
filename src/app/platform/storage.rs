//! Offline use as the browser sees it: the service worker's state (site/boot.js publishes it as
//! `window.__effnetOffline` and fires `effnet-offline`) and persistent storage.

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
