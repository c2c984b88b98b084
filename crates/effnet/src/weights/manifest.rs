//! The manifest the page reads: which weights exist, where they come from, how to feed them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::web::Precision;
use super::{Source, WeightsError};
use crate::config::Padding;
use crate::preprocess::Preprocessing;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub weights: Vec<ManifestEntry>,
}

/// One converted weights file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Configuration name: `b0`…`b7`, `lite0`…`lite4`.
    pub variant: String,
    /// File name, relative to the manifest.
    pub file: String,
    pub source: Source,
    /// Where the checkpoint came from (package, URL or "random initialisation").
    pub origin: String,
    pub license: String,
    /// Hex sha256 of `file`.
    pub sha256: String,
    pub bytes: u64,
    pub precision: Precision,
    pub padding: Padding,
    pub bn_eps: f64,
    pub num_classes: usize,
    pub preprocessing: Preprocessing,
}

impl Default for Manifest {
    fn default() -> Self {
        Self {
            version: 1,
            weights: Vec::new(),
        }
    }
}

impl Manifest {
    pub fn parse(json: &str) -> Result<Self, WeightsError> {
        serde_json::from_str(json).map_err(|e| WeightsError::Unreadable(format!("manifest: {e}")))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serialises")
    }

    /// Replaces the entry for the same variant, or adds it; keeps entries sorted by variant.
    pub fn upsert(&mut self, entry: ManifestEntry) {
        self.weights.retain(|e| e.variant != entry.variant);
        self.weights.push(entry);
        self.weights.sort_by(|a, b| a.variant.cmp(&b.variant));
    }

    pub fn get(&self, variant: &str) -> Option<&ManifestEntry> {
        self.weights.iter().find(|e| e.variant == variant)
    }
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl ManifestEntry {
    /// Fails with [`WeightsError::Checksum`] unless `bytes` are this entry's file.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), WeightsError> {
        let found = sha256_hex(bytes);
        if found == self.sha256 {
            Ok(())
        } else {
            Err(WeightsError::Checksum {
                expected: self.sha256.clone(),
                found,
            })
        }
    }
}
