//! Offline use: the service worker's state, the weights stored in this browser, storage notices.

use std::collections::BTreeSet;

use effnet::Variant;
use serde::Serialize;

use super::load::StoreRefusal;

/// The service worker, as site/boot.js reports it (`window.__effnetOffline`: "registering",
/// "ready", "unsupported", "failed: …", "off: …").
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ServiceWorker {
    /// Nothing said yet.
    #[default]
    Unknown,
    Registering,
    /// It controls the page: the app works offline.
    Ready,
    Unsupported,
    /// Not used on purpose (development builds have none), and why.
    Off(String),
    Failed(String),
}

impl ServiceWorker {
    /// What boot.js said.
    pub fn parse(said: &str) -> Self {
        let (word, why) = said.split_once(": ").unwrap_or((said, ""));
        match word {
            "" => Self::Unknown,
            "registering" => Self::Registering,
            "ready" => Self::Ready,
            "unsupported" => Self::Unsupported,
            "off" => Self::Off(why.into()),
            _ => Self::Failed(if why.is_empty() { said } else { why }.into()),
        }
    }
}

/// Written as boot.js says it, for the test contract.
impl Serialize for ServiceWorker {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&match self {
            Self::Unknown => String::new(),
            Self::Registering => "registering".into(),
            Self::Ready => "ready".into(),
            Self::Unsupported => "unsupported".into(),
            Self::Off(why) => format!("off: {why}"),
            Self::Failed(why) => format!("failed: {why}"),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfflineState {
    pub service_worker: ServiceWorker,
    /// Variants whose weights are stored in this browser (names).
    pub stored: BTreeSet<String>,
    /// `navigator.storage.persist()`'s answer, once asked.
    pub persisted: Option<bool>,
    /// Storage that failed (full or refused): shown until the next successful store.
    pub notice: Option<StorageNotice>,
}

/// A variant's weights that the browser did not store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageNotice {
    pub variant: Variant,
    pub refusal: StoreRefusal,
}

impl std::fmt::Display for StorageNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (detail, full) = match &self.refusal {
            StoreRefusal::Quota { detail } => (detail, ": its storage is full or refused"),
            StoreRefusal::Other { detail } => (detail, ""),
        };
        write!(
            f,
            "{}'s weights could not be stored in this browser ({detail}){full}. The page keeps working from the network and will download them again next time.",
            self.variant
        )
    }
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
        match &self.service_worker {
            ServiceWorker::Ready if stored.is_empty() => {
                "Available offline: the app is stored here; a variant's weights once it has loaded."
                    .into()
            }
            ServiceWorker::Ready => {
                format!("Available offline: the app and {stored} are stored here.")
            }
            ServiceWorker::Registering => "Preparing offline use…".into(),
            ServiceWorker::Unknown | ServiceWorker::Off(_) => String::new(),
            ServiceWorker::Unsupported => {
                "Offline use is not available: this browser has no service workers.".into()
            }
            ServiceWorker::Failed(why) => {
                format!("Offline use is not available (failed: {why}); the page works online.")
            }
        }
    }
}
