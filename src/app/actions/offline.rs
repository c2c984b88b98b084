//! Offline use: follows the service worker's state and which variants' weights this browser
//! holds; asks once for persistent storage; says when storing failed.

use effnet::Variant;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::platform::{storage, weights};
use crate::app::state::AppState;
use crate::app::state::load::StoreRefusal;
use crate::app::state::offline::{ServiceWorker, StorageNotice};

/// Follows the service worker's state (site/boot.js).
pub fn install(state: AppState) {
    let read = move || {
        let now = ServiceWorker::parse(&storage::service_worker_state());
        state.offline.update(|o| o.service_worker = now);
    };
    read();
    storage::on_service_worker_change(read);
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
            let granted = storage::persist().await;
            state.offline.update(|o| o.persisted = Some(granted));
        });
    }
}

/// Storing `variant`'s weights failed (`refusal`: why the browser did not).
pub fn not_stored(state: AppState, variant: Variant, refusal: &StoreRefusal) {
    state.offline.update(|o| {
        o.notice = Some(StorageNotice {
            variant,
            refusal: refusal.clone(),
        })
    });
}
