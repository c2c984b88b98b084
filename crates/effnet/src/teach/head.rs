//! A taught head and its file: a safetensors file (as [`crate::weights::web`] writes) with four
//! f32 tensors and string metadata.
//!
//! Tensors: `weight` `[features, classes]` (row-major, row = feature dimension), `bias`
//! `[classes]`, `mean` and `std` `[features]`. The head computes
//! `logits = ((features − mean) / std) · weight + bias` and softmax over the logits.
//!
//! Metadata (every value a string, as safetensors wants):
//! - `format`: [`FORMAT`];
//! - `classes`: a JSON array of the class names, in class order;
//! - `variant`: the backbone's configuration name (`lite0`, `b3`, …);
//! - `backbone_sha256`: the hex sha256 of the backbone's weights file the features came from;
//! - `normalization`: how `mean` and `std` are used and where they come from, in words;
//! - `preprocessing`: JSON of the [`Preprocessing`] the backbone's inputs had;
//! - `training`: JSON of the [`TrainSettings`];
//! - `metrics`: JSON of the [`Report`] (held-out scores, split, losses), when there is one.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::TeachError;
use super::teaching::Report;
use super::train::{Normalization, TrainSettings};
use crate::predict;
use crate::preprocess::Preprocessing;
use crate::safetensors::{self, Entry};

/// Format tag in a head file's metadata.
pub const FORMAT: &str = "effnet-head/1";

/// What a head was trained on: the features of this backbone's weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backbone {
    /// Configuration name: `lite0`, `b3`, …
    pub variant: String,
    /// Hex sha256 of the weights file.
    pub weights_sha256: String,
}

impl fmt::Display for Backbone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = self
            .weights_sha256
            .get(..12)
            .unwrap_or(&self.weights_sha256);
        write!(f, "{} (weights sha256 {short}…)", self.variant)
    }
}

/// A linear softmax classifier over a backbone's pooled features, with what it needs to be
/// used again: its classes, its backbone, the preprocessing and the normalisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// Class names, in class order.
    pub classes: Vec<String>,
    pub backbone: Backbone,
    /// How images were turned into the backbone's input.
    pub preprocessing: Preprocessing,
    pub normalization: Normalization,
    /// `[dim, classes]`, row-major.
    pub weight: Vec<f32>,
    /// `[classes]`.
    pub bias: Vec<f32>,
    pub settings: TrainSettings,
    /// The held-out scores and losses of its training, when known.
    pub report: Option<Report>,
}

/// Why a head file cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum HeadError {
    /// Not a head file, or a damaged one: what is wrong, in a few words.
    Corrupt(String),
    /// The head was trained on another backbone (variant or weights) than the one given.
    WrongBackbone { head: Backbone, given: Backbone },
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Corrupt(why) => write!(f, "not a usable head file ({why})"),
            Self::WrongBackbone { head, given } => write!(
                f,
                "this head was trained on the features of {head}, not of {given}: teach it again on these weights"
            ),
        }
    }
}

impl std::error::Error for HeadError {}

fn corrupt(why: impl Into<String>) -> HeadError {
    HeadError::Corrupt(why.into())
}

impl Head {
    /// How many features it takes.
    pub fn dim(&self) -> usize {
        self.normalization.dim()
    }

    /// How many classes it tells apart.
    pub fn num_classes(&self) -> usize {
        self.classes.len()
    }

    /// Whether its tensors fit together: at least two classes, `weight` `[dim, classes]`,
    /// `bias` `[classes]`, `mean` and `std` `[dim]`, all finite, every `std` positive.
    pub fn check(&self) -> Result<(), HeadError> {
        let (dim, k) = (self.dim(), self.num_classes());
        if k < 2 {
            return Err(corrupt(format!("{k} class(es), a head needs at least 2")));
        }
        if dim == 0 || self.normalization.std.len() != dim {
            return Err(corrupt("mean and std differ in length"));
        }
        if self.weight.len() != dim * k || self.bias.len() != k {
            return Err(corrupt(
                "weight or bias do not fit the classes and features",
            ));
        }
        let values = [
            &self.weight,
            &self.bias,
            &self.normalization.mean,
            &self.normalization.std,
        ];
        if !values.iter().all(|v| v.iter().all(|x| x.is_finite())) {
            return Err(corrupt("non-finite values"));
        }
        if self.normalization.std.iter().any(|&s| s <= 0.0) {
            return Err(corrupt("a standard deviation ≤ 0"));
        }
        Ok(())
    }

    /// An error unless the head was trained on `backbone` (same variant, same weights).
    pub fn check_backbone(&self, backbone: &Backbone) -> Result<(), HeadError> {
        if self.backbone == *backbone {
            Ok(())
        } else {
            Err(HeadError::WrongBackbone {
                head: self.backbone.clone(),
                given: backbone.clone(),
            })
        }
    }

    /// The logits of one example's raw (not normalised) features.
    pub fn logits(&self, features: &[f32]) -> Result<Vec<f32>, TeachError> {
        if features.len() != self.dim() {
            return Err(TeachError::LengthMismatch {
                what: "features",
                expected: self.dim(),
                found: features.len(),
            });
        }
        let mut x = features.to_vec();
        self.normalization.apply(&mut x);
        let k = self.num_classes();
        let mut logits: Vec<f64> = self.bias.iter().map(|&b| b as f64).collect();
        for (row, &xi) in self.weight.chunks_exact(k).zip(&x) {
            for (l, &w) in logits.iter_mut().zip(row) {
                *l += xi as f64 * w as f64;
            }
        }
        Ok(logits.into_iter().map(|l| l as f32).collect())
    }

    /// The class probabilities (softmax of [`Head::logits`]).
    pub fn probabilities(&self, features: &[f32]) -> Result<Vec<f64>, TeachError> {
        Ok(predict::softmax(&self.logits(features)?))
    }

    /// The most probable class (ties: the lower index).
    pub fn predict(&self, features: &[f32]) -> Result<usize, TeachError> {
        Ok(predict::top_k(&self.probabilities(features)?, 1)[0])
    }

    /// The head file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let k = self.num_classes();
        let dim = self.dim();
        let tensors: [(&str, &[f32], Vec<usize>); 4] = [
            ("weight", &self.weight, vec![dim, k]),
            ("bias", &self.bias, vec![k]),
            ("mean", &self.normalization.mean, vec![dim]),
            ("std", &self.normalization.std, vec![dim]),
        ];
        let mut header = Map::new();
        let mut data = Vec::new();
        for (name, values, shape) in tensors {
            let start = data.len();
            data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
            header.insert(
                name.into(),
                safetensors::entry("F32", &shape, start, data.len()),
            );
        }
        let mut meta = serde_json::json!({
            "format": FORMAT,
            "classes": json(&self.classes),
            "variant": self.backbone.variant,
            "backbone_sha256": self.backbone.weights_sha256,
            "normalization": format!(
                "per feature dimension: (x - mean) / std, mean and std over the training split, \
                 std = sqrt(population variance + {:e})",
                Normalization::VARIANCE_EPSILON
            ),
            "preprocessing": json(&self.preprocessing),
            "training": json(&self.settings),
        });
        if let Some(report) = &self.report {
            meta["metrics"] = Value::String(json(report));
        }
        safetensors::assemble(header, meta, &data)
    }

    /// Reads a head file; any damage is a [`HeadError::Corrupt`] that says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Head, HeadError> {
        let (mut header, meta, data) = safetensors::split(bytes).map_err(corrupt)?;
        if meta.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(corrupt("unknown format"));
        }
        let mut tensor = |name: &str| -> Result<(Vec<f32>, Vec<usize>), HeadError> {
            let entry = header
                .remove(name)
                .ok_or_else(|| corrupt(format!("no tensor {name}")))?;
            let entry: Entry = serde_json::from_value(entry)
                .map_err(|_| corrupt(format!("malformed entry for {name}")))?;
            let raw = entry
                .bytes(data)
                .ok_or_else(|| corrupt(format!("tensor {name} is truncated")))?;
            let count = entry
                .shape
                .iter()
                .try_fold(1usize, |n, &d| n.checked_mul(d));
            if entry.dtype != "F32" || count.and_then(|c| c.checked_mul(4)) != Some(raw.len()) {
                return Err(corrupt(format!("tensor {name} has a wrong size or type")));
            }
            let values = raw
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Ok((values, entry.shape))
        };
        let (weight, weight_shape) = tensor("weight")?;
        let (bias, bias_shape) = tensor("bias")?;
        let (mean, mean_shape) = tensor("mean")?;
        let (std, std_shape) = tensor("std")?;
        if let Some(name) = header.keys().next() {
            return Err(corrupt(format!("unexpected tensor {name}")));
        }
        let text = |key: &str| -> Result<String, HeadError> {
            meta.get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| corrupt(format!("no {key} in the metadata")))
        };
        let parsed = |key: &str| -> Result<Value, HeadError> {
            serde_json::from_str(&text(key)?).map_err(|_| corrupt(format!("malformed {key}")))
        };
        let head = Head {
            classes: from_json(parsed("classes")?, "classes")?,
            backbone: Backbone {
                variant: text("variant")?,
                weights_sha256: text("backbone_sha256")?,
            },
            preprocessing: from_json(parsed("preprocessing")?, "preprocessing")?,
            normalization: Normalization { mean, std },
            weight,
            bias,
            settings: from_json(parsed("training")?, "training")?,
            report: match meta.get("metrics") {
                None => None,
                Some(_) => Some(from_json(parsed("metrics")?, "metrics")?),
            },
        };
        let (dim, k) = (head.dim(), head.num_classes());
        if weight_shape != [dim, k]
            || bias_shape != [k]
            || mean_shape != [dim]
            || std_shape != [dim]
        {
            return Err(corrupt(
                "the tensors' shapes do not fit the classes and features",
            ));
        }
        head.check()?;
        Ok(head)
    }

    /// As [`Head::decode`], then [`Head::check_backbone`].
    pub fn decode_for(bytes: &[u8], backbone: &Backbone) -> Result<Head, HeadError> {
        let head = Head::decode(bytes)?;
        head.check_backbone(backbone)?;
        Ok(head)
    }
}

fn from_json<T: DeserializeOwned>(value: Value, key: &str) -> Result<T, HeadError> {
    serde_json::from_value(value).map_err(|_| corrupt(format!("malformed {key}")))
}

/// A metadata value: JSON in a string.
fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("JSON of plain values")
}
