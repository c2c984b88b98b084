//! Offline use: what the service worker (registered by site/boot.js) says, which variants'
//! weights this browser holds, persistent storage, and storage that is full or refused.
//!
//! The app shell is cached by the service worker; the weights by the page itself
//! ([`super::weights`]), keyed by their sha256, so they outlive new builds of the page.

use std::collections::BTreeSet;

use effnet::Variant;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

use super::{AppState, js, weights};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfflineState {
    /// The service worker: "registering", "ready", "unsupported", "failed: …", or "off: …"
    /// (development builds have none). Empty until site/boot.js says.
    pub service_worker: String,
    /// Variants whose weights are stored in this browser (names).
    pub stored: BTreeSet<String>,
    /// `navigator.storage.persist()`'s answer, once asked.
    pub persisted: Option<bool>,
    /// Storage that failed (full or refused): shown until the next successful store.
    pub notice: Option<String>,
}

impl OfflineState {
    /// One line for the page.
    pub fn describe(&self) -> String {
        let stored = self
            .stored
            .iter()
            .map(|name| Variant::parse(name).map_or_else(|| name.clone(), |v| v.to_string()))
            .collect::<Vec<_>>()
            .join(", ");
        match self.service_worker.as_str() {
            "ready" if stored.is_empty() => {
                "Available offline: the app is stored in this browser; a variant's weights are stored once it has loaded.".into()
            }
            "ready" => format!("Available offline: the app and the weights of {stored} are stored in this browser."),
            "registering" => "Preparing offline use…".into(),
            "" => String::new(),
            other if other.starts_with("off") => String::new(),
            "unsupported" => "Offline use is not available: this browser has no service workers.".into(),
            other => format!("Offline use is not available ({other}); the page works online."),
        }
    }
}

/// Follows the service worker's state (site/boot.js: `window.__effnetOffline` and the
/// `effnet-offline` event) and, once the manifest is known, which weights are stored.
pub fn install(state: AppState) {
    let read = move || {
        let now = js::get_string(&js::window().into(), "__effnetOffline").unwrap_or_default();
        state.offline.update(|o| o.service_worker = now);
    };
    read();
    let listener = Closure::<dyn Fn()>::new(read);
    let _ = js::window()
        .add_event_listener_with_callback("effnet-offline", listener.as_ref().unchecked_ref());
    listener.forget();
}

/// Reads which variants' weights the browser holds (after the manifest has loaded).
pub fn scan(state: AppState) {
    spawn_local(async move {
        let entries = state.manifest.with_untracked(|m| m.entries());
        let stored = weights::stored(&entries).await;
        state.offline.update(|o| o.stored.extend(stored));
    });
}

/// `variant`'s weights are stored now: say so, and ask once for persistent storage (the
/// browser may then keep them under storage pressure).
pub fn stored(state: AppState, variant: Variant) {
    let first = state.offline.with_untracked(|o| o.persisted.is_none());
    state.offline.update(|o| {
        o.stored.insert(variant.name().to_string());
        o.notice = None;
    });
    if first {
        state.offline.update(|o| o.persisted = Some(false));
        spawn_local(async move {
            let granted = persist().await;
            state.offline.update(|o| o.persisted = Some(granted));
        });
    }
}

/// Storing `variant`'s weights failed (`why`: the browser's error, e.g. QuotaExceededError).
pub fn not_stored(state: AppState, variant: Variant, why: &str) {
    let quota = why.contains("Quota");
    state.offline.update(|o| {
        o.notice = Some(format!(
            "{variant}'s weights could not be stored in this browser ({why}){}. The page keeps working from the network and will download them again next time.",
            if quota { ": its storage is full or refused" } else { "" }
        ))
    });
}

/// `navigator.storage.persist()` (true when granted; false when refused or unavailable).
async fn persist() -> bool {
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

/// The offline line under the status, and storage problems.
#[component]
pub fn OfflineStatus() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <p class="offline" data-testid="offline">{move || state.offline.with(OfflineState::describe)}</p>
        <Show when=move || state.offline.with(|o| o.notice.is_some())>
            <p class="warning" data-testid="storage-notice" role="status">
                {move || state.offline.with(|o| o.notice.clone().unwrap_or_default())}
            </p>
        </Show>
    }
}
