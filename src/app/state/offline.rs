//! Offline use: the service worker's state, the weights stored in this browser, storage notices.

use std::collections::BTreeSet;

use effnet::Variant;
use serde::Serialize;

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
