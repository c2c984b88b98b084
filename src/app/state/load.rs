//! What is known about the weights: the manifest, and the load of the variant on screen.

use effnet::Variant;
use effnet::weights::manifest::{Manifest, ManifestEntry};

use super::error::AppError;

#[derive(Debug, Clone, PartialEq)]
pub enum ManifestState {
    Loading,
    /// No manifest on the server: every variant is randomly initialised.
    Missing,
    Loaded(Manifest),
    /// The manifest exists but cannot be read: treated as missing, with the reason shown.
    Failed(AppError),
}

impl ManifestState {
    pub fn entry(&self, variant: Variant) -> Option<ManifestEntry> {
        match self {
            ManifestState::Loaded(m) => m.get(variant.name()).cloned(),
            _ => None,
        }
    }

    /// Every entry of the manifest (none unless it has loaded).
    pub fn entries(&self) -> Vec<ManifestEntry> {
        match self {
            ManifestState::Loaded(m) => m.weights.clone(),
            _ => Vec::new(),
        }
    }
}

/// What the weights loader is doing, for the variant on screen.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadState {
    Idle,
    Downloading {
        variant: Variant,
        loaded: u64,
        total: u64,
    },
    Preparing {
        variant: Variant,
        what: String,
    },
    /// The network is in memory, ready to run.
    Loaded {
        variant: Variant,
        pretrained: bool,
        from_cache: bool,
        ms: f64,
    },
    Failed {
        variant: Variant,
        error: AppError,
    },
}

/// One line saying what a variant's weights are.
pub fn describe_entry(entry: &ManifestEntry) -> String {
    format!(
        "pretrained ({}, {}, {:.1} MB) from {}",
        entry.source.name(),
        entry.precision,
        entry.bytes as f64 / 1e6,
        entry.origin
    )
}

/// Where a weights file came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum WeightsOrigin {
    Cache,
    /// Downloaded and stored in the Cache API.
    Network,
    /// Downloaded, but the browser did not store it.
    NetworkNotStored(StoreRefusal),
}

/// Why the browser did not store a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum StoreRefusal {
    /// Its storage is full, or it refuses to give the site more (a `QuotaExceededError`).
    Quota { detail: String },
    /// No Cache API here (an insecure context), or another refusal (the browser's words).
    Other { detail: String },
}
