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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::teach::{Metrics, Scored};

    /// A small head with every field set (3 classes over 4 features).
    pub(crate) fn example() -> Head {
        let truth = [0, 1, 2, 2];
        let predicted = [0, 1, 1, 2];
        let metrics = Metrics::from_predictions(&truth, &predicted, 3).unwrap();
        Head {
            classes: vec!["cat".into(), "dog".into(), "déjà vu".into()],
            backbone: Backbone {
                variant: "lite0".into(),
                weights_sha256: "ab".repeat(32),
            },
            preprocessing: Preprocessing::lite(224),
            normalization: Normalization {
                mean: vec![0.5, -1.0, 2.0, 0.0],
                std: vec![1.0, 0.5, 2.0, 0.25],
            },
            weight: (0..12).map(|i| i as f32 * 0.1 - 0.6).collect(),
            bias: vec![0.1, -0.2, 0.3],
            settings: TrainSettings::default(),
            report: Some(Report {
                train_per_class: vec![3, 2, 4],
                validation_per_class: vec![1, 1, 2],
                validation: vec![Scored {
                    example: 7,
                    truth: 2,
                    predicted: 1,
                    ncm: 2,
                }],
                head: metrics.clone(),
                ncm: metrics,
                losses: vec![1.5, 0.75],
            }),
        }
    }

    /// `bytes` with its header's JSON changed by `edit`.
    fn with_header(bytes: &[u8], edit: impl FnOnce(&mut Map<String, Value>)) -> Vec<u8> {
        let (header, mut meta, data) = safetensors::split(bytes).unwrap();
        let mut header: Map<String, Value> = header.into_iter().collect();
        edit(&mut header);
        if let Some(m) = header.remove("__metadata__") {
            meta = m;
        }
        safetensors::assemble(header, meta, data)
    }

    #[test]
    fn a_head_file_round_trips() {
        let head = example();
        let bytes = head.encode();
        assert_eq!(Head::decode(&bytes), Ok(head.clone()));
        let without_report = Head {
            report: None,
            ..head
        };
        assert_eq!(Head::decode(&without_report.encode()), Ok(without_report));
    }

    #[test]
    fn logits_are_the_normalised_features_through_the_linear_layer() {
        let head = example();
        let x = [1.5, 0.0, 4.0, 0.5];
        // (x − mean) / std = [1, 2, 1, 2]; logits_c = bias_c + Σ_d z_d · w[d][c].
        let z = [1.0, 2.0, 1.0, 2.0];
        let expected: Vec<f32> = (0..3)
            .map(|c| head.bias[c] + (0..4).map(|d| z[d] * head.weight[d * 3 + c]).sum::<f32>())
            .collect();
        let logits = head.logits(&x).unwrap();
        for (a, b) in logits.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-6, "{logits:?} vs {expected:?}");
        }
        let p = head.probabilities(&x).unwrap();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(head.predict(&x).unwrap(), 2);
        assert!(head.logits(&x[..3]).is_err());
    }

    #[test]
    fn another_backbone_is_refused() {
        let head = example();
        let bytes = head.encode();
        assert!(Head::decode_for(&bytes, &head.backbone).is_ok());
        for given in [
            Backbone {
                variant: "lite1".into(),
                ..head.backbone.clone()
            },
            Backbone {
                weights_sha256: "cd".repeat(32),
                ..head.backbone.clone()
            },
        ] {
            let err = Head::decode_for(&bytes, &given).unwrap_err();
            assert_eq!(
                err,
                HeadError::WrongBackbone {
                    head: head.backbone.clone(),
                    given: given.clone()
                }
            );
            assert!(err.to_string().contains("trained on the features of lite0"));
        }
    }

    #[test]
    fn damaged_head_files_say_what_is_wrong() {
        let bytes = example().encode();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (Vec::new(), "too short"),
            (bytes[..bytes.len() - 4].to_vec(), "truncated"),
            (bytes[..40].to_vec(), "truncated header"),
            (
                crate::weights::web::FORMAT.as_bytes().to_vec(),
                "truncated header",
            ),
            (
                with_header(&bytes, |h| {
                    h.insert("__metadata__".into(), serde_json::json!({"format": "x"}));
                }),
                "unknown format",
            ),
            (
                with_header(&bytes, |h| {
                    h.remove("std");
                }),
                "no tensor std",
            ),
            (
                with_header(&bytes, |h| {
                    h["bias"]["dtype"] = "F16".into();
                }),
                "tensor bias has a wrong size or type",
            ),
            (
                with_header(&bytes, |h| {
                    h["weight"]["shape"] = serde_json::json!([3, 4]);
                }),
                "shapes do not fit",
            ),
            (
                with_header(&bytes, |h| {
                    h["weight"]["shape"] = serde_json::json!([usize::MAX, 4]);
                }),
                "wrong size",
            ),
            (
                with_header(&bytes, |h| {
                    h.insert("extra".into(), h["bias"].clone());
                }),
                "unexpected tensor extra",
            ),
        ];
        for (bytes, expected) in cases {
            let err = Head::decode(&bytes).unwrap_err().to_string();
            assert!(err.contains(expected), "'{err}' does not say '{expected}'");
        }
        // Values that cannot be a head: two classes named for three columns, a zero std, NaN.
        let mut head = example();
        head.classes.pop();
        assert!(Head::decode(&head.encode()).is_err());
        let mut head = example();
        head.normalization.std[1] = 0.0;
        assert!(
            Head::decode(&head.encode())
                .unwrap_err()
                .to_string()
                .contains("≤ 0")
        );
        let mut head = example();
        head.weight[5] = f32::NAN;
        assert!(
            Head::decode(&head.encode())
                .unwrap_err()
                .to_string()
                .contains("non-finite")
        );
    }
}
