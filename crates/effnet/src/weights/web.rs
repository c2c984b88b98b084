//! The compact web format: a safetensors file whose tensors are named by this crate's module
//! paths, convolution and linear weights in f16, f32 or 8 bits ([`Precision::Q8`]), batch-norm
//! statistics (or, in a file written from a folded network, the convolution biases they became)
//! always f32, and the full [`EfficientNetConfig`] in its metadata so the file describes the
//! network it fills.
//!
//! In q8, a quantised weight `w` is an `I8` tensor with the same name and shape and an `F32`
//! tensor `w:scale` of one scale per output channel (dimension 0 of a convolution's
//! `[out, in, kh, kw]`, dimension 1 of a linear layer's `[in, out]`): the weight is
//! `scale[c] · q`, with `q` in −127..=127 (symmetric). [`decode`] turns it back into f32.

use burn::tensor::{DType, Device};
use burn_store::burn_pack::{Bytes, Tensor as PackTensor};
use burn_store::{IdentityAdapter, ModuleSnapshot};
use half::f16;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::WeightsError;
use crate::config::EfficientNetConfig;
use crate::model::EfficientNet;
use crate::preprocess::Preprocessing;
use crate::safetensors::{self, Entry};

/// Format tag in the file's metadata.
pub const FORMAT: &str = "effnet-web/1";

/// Storage precision of convolution and linear weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    F16,
    F32,
    /// Convolution and linear weights as int8 with one f32 scale per output channel; the
    /// stem's and the depthwise convolutions' weights (few, and the most sensitive) in f16.
    Q8,
}

impl Precision {
    pub const ALL: [Precision; 3] = [Precision::F32, Precision::F16, Precision::Q8];

    pub fn parse(s: &str) -> Option<Precision> {
        Self::ALL.into_iter().find(|p| p.name() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            Precision::F16 => "f16",
            Precision::F32 => "f32",
            Precision::Q8 => "q8",
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The suffix of a q8 weight's scales tensor.
const SCALE: &str = ":scale";

/// How a tensor is stored in a file of some precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    F32,
    F16,
    /// int8, per output channel along this dimension.
    Q8 {
        axis: usize,
    },
}

fn storage(name: &str, shape: &[usize], precision: Precision) -> Storage {
    if keeps_f32(name) {
        return Storage::F32;
    }
    match precision {
        Precision::F32 => Storage::F32,
        Precision::F16 => Storage::F16,
        Precision::Q8 => match quantised_axis(name, shape) {
            Some(axis) => Storage::Q8 { axis },
            None => Storage::F16,
        },
    }
}

/// The output-channel dimension of a weight q8 quantises: the 1×1 and full convolutions'
/// (not the stem's, whose 3 input channels see the raw picture, nor the depthwise ones', a few
/// values per channel) and the classifier's. `None`: stored in f16.
fn quantised_axis(name: &str, shape: &[usize]) -> Option<usize> {
    if !name.ends_with(".weight") || name.starts_with("stem.") {
        return None;
    }
    match shape {
        [_, per_group, _, _] if *per_group > 1 => Some(0),
        [_, _] => Some(1),
        _ => None,
    }
}

/// Symmetric int8 with one scale per slice along `axis` (of a row-major tensor of `shape`):
/// each slice's clipping range is the one of 32 candidates (its largest |value| times
/// 1.0, 0.99, … 0.69) with the least squared error, which keeps a few outliers from costing
/// every other value its resolution.
pub fn quantise(values: &[f32], shape: &[usize], axis: usize) -> (Vec<i8>, Vec<f32>) {
    let channels = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    let index = |c: usize, i: usize| {
        // Element i of channel c: outer block, then the channel, then the inner offset.
        let (outer, within) = (i / inner, i % inner);
        (outer * channels + c) * inner + within
    };
    let per_channel = values.len() / channels.max(1);
    let mut q = vec![0i8; values.len()];
    let mut scales = vec![0f32; channels];
    for c in 0..channels {
        let slice: Vec<f32> = (0..per_channel).map(|i| values[index(c, i)]).collect();
        let max = slice.iter().fold(0f32, |m, v| m.max(v.abs()));
        if max == 0.0 || !max.is_finite() {
            scales[c] = if max.is_finite() { 1.0 } else { max };
            continue;
        }
        let error = |scale: f32| -> f64 {
            slice
                .iter()
                .map(|&v| {
                    let d = v - scale * (v / scale).round().clamp(-127.0, 127.0);
                    f64::from(d * d)
                })
                .sum()
        };
        let best = (0..32)
            .map(|k| max * (1.0 - 0.01 * k as f32) / 127.0)
            .map(|s| (s, error(s)))
            .fold((max / 127.0, f64::INFINITY), |b, (s, e)| {
                if e < b.1 { (s, e) } else { b }
            });
        scales[c] = best.0;
        for (i, &v) in slice.iter().enumerate() {
            q[index(c, i)] = (v / best.0).round().clamp(-127.0, 127.0) as i8;
        }
    }
    (q, scales)
}

/// f32 from int8 values and their scales (as [`quantise`] made them).
pub fn dequantise(q: &[i8], scales: &[f32], shape: &[usize], axis: usize) -> Vec<f32> {
    let channels = shape[axis];
    let inner: usize = shape[axis + 1..].iter().product();
    q.iter()
        .enumerate()
        .map(|(i, &v)| scales[(i / inner) % channels] * f32::from(v))
        .collect()
}

/// Tensors that stay f32 whatever the precision: batch norms (running variances underflow in
/// f16) and the biases that folded batch norms leave in convolutions (small, and they carry
/// the folded means).
fn keeps_f32(name: &str) -> bool {
    name.contains(".bn.") || name.ends_with(".conv.bias")
}

fn f32s(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

/// Serialises `model` (built from `config`) into the web format, with the evaluation
/// `preprocessing` its weights expect (recorded in the metadata when given).
pub fn encode(
    model: &EfficientNet,
    config: &EfficientNetConfig,
    precision: Precision,
    preprocessing: Option<&Preprocessing>,
) -> Result<Vec<u8>, WeightsError> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for tensor in model.collect(None, None, false) {
        let bytes = tensor
            .to_bytes()
            .map_err(|e| WeightsError::Unreadable(format!("{}: {e:?}", tensor.name)))?;
        if tensor.dtype != DType::F32 {
            return Err(WeightsError::Unreadable(format!(
                "{} is {:?}, expected f32",
                tensor.name, tensor.dtype
            )));
        }
        let shape: Vec<usize> = tensor.shape.iter().copied().collect();
        let start = data.len();
        let dtype = match storage(&tensor.name, &shape, precision) {
            Storage::F32 => {
                data.extend_from_slice(&bytes);
                "F32"
            }
            Storage::F16 => {
                data.extend(f32s(&bytes).flat_map(|v| f16::from_f32(v).to_le_bytes()));
                "F16"
            }
            Storage::Q8 { axis } => {
                let values: Vec<f32> = f32s(&bytes).collect();
                let (q, scales) = quantise(&values, &shape, axis);
                data.extend(q.iter().map(|&v| v as u8));
                let at = data.len();
                data.extend(scales.iter().flat_map(|v| v.to_le_bytes()));
                let entry = safetensors::entry("F32", &[scales.len()], at, data.len());
                header.insert(format!("{}{SCALE}", tensor.name), entry);
                "I8"
            }
        };
        let end = if dtype == "I8" {
            start + shape.iter().product::<usize>()
        } else {
            data.len()
        };
        header.insert(
            tensor.name.clone(),
            safetensors::entry(dtype, &shape, start, end),
        );
    }
    let config_json =
        serde_json::to_string(config).map_err(|e| WeightsError::Unreadable(e.to_string()))?;
    let mut meta = serde_json::json!({
        "format": FORMAT,
        "config": config_json,
        "precision": precision.name(),
    });
    if let Some(p) = preprocessing {
        let p = serde_json::to_string(p).map_err(|e| WeightsError::Unreadable(e.to_string()))?;
        meta["preprocessing"] = Value::String(p);
    }
    Ok(safetensors::assemble(header, meta, &data))
}

fn bad(why: &str) -> WeightsError {
    WeightsError::Unreadable(format!("not an EfficientNet web weights file ({why})"))
}

/// The header's tensor entries, its metadata, and the data after the header.
fn split(bytes: &[u8]) -> Result<safetensors::Parts<'_>, WeightsError> {
    let (header, meta, data) = safetensors::split(bytes).map_err(bad)?;
    if meta.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(bad("unknown format"));
    }
    Ok((header, meta, data))
}

/// The evaluation preprocessing recorded in a web-format file (files written before it was
/// recorded, or with none given, have none).
pub fn preprocessing(bytes: &[u8]) -> Result<Option<Preprocessing>, WeightsError> {
    let (_, meta, _) = split(bytes)?;
    match meta.get("preprocessing").and_then(Value::as_str) {
        None => Ok(None),
        Some(json) => serde_json::from_str(json)
            .map(Some)
            .map_err(|_| bad("malformed preprocessing")),
    }
}

/// The configuration stored in a web-format file and its tensors (all f32).
pub fn decode(bytes: &[u8]) -> Result<(EfficientNetConfig, Vec<PackTensor>), WeightsError> {
    let (header, meta, data) = split(bytes)?;
    let config: EfficientNetConfig = meta
        .get("config")
        .and_then(Value::as_str)
        .and_then(|s| serde_json::from_str(s).ok())
        .ok_or_else(|| bad("no network configuration"))?;
    let entry_of = |name: &str, value: &Value| -> Result<Entry, WeightsError> {
        serde_json::from_value(value.clone())
            .map_err(|_| bad(&format!("malformed entry for tensor {name}")))
    };
    let mut tensors = Vec::with_capacity(header.len());
    for (name, value) in &header {
        if name.ends_with(SCALE) {
            continue;
        }
        let entry = entry_of(name, value)?;
        let raw = entry.bytes(data).ok_or_else(|| bad("truncated data"))?;
        let count: usize = entry.shape.iter().product();
        let wrong = || bad(&format!("tensor {name} has a wrong size or type"));
        let values: Vec<u8> = match entry.dtype.as_str() {
            "F32" if raw.len() == count * 4 => raw.to_vec(),
            "F16" if raw.len() == count * 2 => raw
                .chunks_exact(2)
                .flat_map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32().to_le_bytes())
                .collect(),
            "I8" if raw.len() == count => {
                let axis = quantised_axis(name, &entry.shape).ok_or_else(wrong)?;
                let scale_name = format!("{name}{SCALE}");
                let scales = header
                    .get(&scale_name)
                    .ok_or_else(|| bad(&format!("no scales for the 8-bit tensor {name}")))?;
                let scales = entry_of(&scale_name, scales)?;
                let bytes = scales.bytes(data).ok_or_else(|| bad("truncated data"))?;
                if scales.dtype != "F32" || bytes.len() != entry.shape[axis] * 4 {
                    return Err(bad(&format!(
                        "the scales of {name} have a wrong size or type"
                    )));
                }
                let scales: Vec<f32> = f32s(bytes).collect();
                let q: Vec<i8> = raw.iter().map(|&b| b as i8).collect();
                dequantise(&q, &scales, &entry.shape, axis)
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect()
            }
            _ => return Err(wrong()),
        };
        let name = name.clone();
        tensors.push(PackTensor::new(
            name,
            DType::F32,
            entry.shape,
            None,
            Bytes::from_bytes_vec(values),
        ));
    }
    Ok((config, tensors))
}

/// Builds the network a web-format file describes and fills it. With `expected`, the file must
/// be for that configuration name (`lite0`, `b3`, …).
pub fn load(
    bytes: &[u8],
    expected: Option<&str>,
    device: &Device,
) -> Result<(EfficientNetConfig, EfficientNet), WeightsError> {
    let (config, tensors) = decode(bytes)?;
    build(config, tensors, expected, device)
}

/// As [`load`], from what [`decode`] returned.
pub fn build(
    config: EfficientNetConfig,
    tensors: Vec<PackTensor>,
    expected: Option<&str>,
    device: &Device,
) -> Result<(EfficientNetConfig, EfficientNet), WeightsError> {
    if let Some(expected) = expected
        && expected != config.name
    {
        return Err(WeightsError::WrongVariant {
            expected: expected.to_string(),
            found: config.name.clone(),
        });
    }
    // A file written from a folded network has convolution biases and no batch norms.
    let folded = tensors.iter().any(|t| t.name == "stem.conv.bias");
    let mut model = config.init(device);
    if folded {
        model = model.fold_batch_norms();
    }
    super::apply(&mut model, tensors, Box::new(IdentityAdapter))?;
    Ok((config, model))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value's error after quantisation: at most half a step inside the clipping range, and
    /// at most its distance to the range's edge outside it.
    fn bound(v: f32, scale: f32) -> f32 {
        (scale * 0.5).max(v.abs() - 127.0 * scale) + 1e-6 * v.abs().max(1.0)
    }

    #[test]
    fn quantisation_error_is_within_half_a_step_per_channel() {
        // A conv weight [4, 3, 2, 2] (channels on dim 0) and a linear one [5, 3] (dim 1), with
        // an outlier in one channel and a channel of zeros.
        let conv: Vec<f32> = (0..48)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0)
            .collect();
        let mut linear: Vec<f32> = (0..15)
            .map(|i| ((i * 13 % 11) as f32 - 5.0) / 3.0)
            .collect();
        linear[4] = 40.0; // row 1, column 1
        for c in 0..5 {
            linear[c * 3 + 2] = 0.0; // column 2
        }
        for (values, shape, axis) in [(conv, vec![4, 3, 2, 2], 0), (linear, vec![5, 3], 1)] {
            let (q, scales) = quantise(&values, &shape, axis);
            assert_eq!(scales.len(), shape[axis]);
            let back = dequantise(&q, &scales, &shape, axis);
            let inner: usize = shape[axis + 1..].iter().product();
            for (i, (&v, &b)) in values.iter().zip(&back).enumerate() {
                let s = scales[(i / inner) % shape[axis]];
                assert!(
                    (v - b).abs() <= bound(v, s),
                    "{shape:?} [{i}]: {v} came back as {b} (scale {s})"
                );
            }
        }
    }

    #[test]
    fn q8_quantises_only_the_big_convolutions_and_the_classifier() {
        let q8 = |name: &str, shape: &[usize]| storage(name, shape, Precision::Q8);
        assert_eq!(q8("stem.conv.weight", &[32, 3, 3, 3]), Storage::F16);
        assert_eq!(
            q8("blocks.0.depthwise.conv.weight", &[32, 1, 3, 3]),
            Storage::F16
        );
        assert_eq!(
            q8("blocks.1.expand.conv.weight", &[96, 16, 1, 1]),
            Storage::Q8 { axis: 0 }
        );
        assert_eq!(
            q8("classifier.weight", &[1280, 1000]),
            Storage::Q8 { axis: 1 }
        );
        assert_eq!(q8("classifier.bias", &[1000]), Storage::F16);
        assert_eq!(q8("head.conv.bias", &[1280]), Storage::F32);
        assert_eq!(q8("head.bn.running_var", &[1280]), Storage::F32);
    }
}
