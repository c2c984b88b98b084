//! The compact web format: a safetensors file whose tensors are named by this crate's module
//! paths, convolution and linear weights in f16 (or f32), batch-norm statistics (or, in a file
//! written from a folded network, the convolution biases they became) always f32, and
//! the full [`EfficientNetConfig`] in its metadata so the file describes the network it fills.

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
}

impl Precision {
    pub fn parse(s: &str) -> Option<Precision> {
        match s {
            "f16" => Some(Precision::F16),
            "f32" => Some(Precision::F32),
            _ => None,
        }
    }
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
        let half = precision == Precision::F16 && !keeps_f32(&tensor.name);
        let start = data.len();
        if half {
            data.extend(f32s(&bytes).flat_map(|v| f16::from_f32(v).to_le_bytes()));
        } else {
            data.extend_from_slice(&bytes);
        }
        let shape: Vec<usize> = tensor.shape.iter().copied().collect();
        let dtype = if half { "F16" } else { "F32" };
        let entry = safetensors::entry(dtype, &shape, start, data.len());
        header.insert(tensor.name.clone(), entry);
    }
    let config_json =
        serde_json::to_string(config).map_err(|e| WeightsError::Unreadable(e.to_string()))?;
    let mut meta = serde_json::json!({ "format": FORMAT, "config": config_json });
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
    let mut tensors = Vec::with_capacity(header.len());
    for (name, entry) in header {
        let entry: Entry =
            serde_json::from_value(entry).map_err(|_| bad("malformed tensor entry"))?;
        let raw = entry.bytes(data).ok_or_else(|| bad("truncated data"))?;
        let count: usize = entry.shape.iter().product();
        let values: Vec<u8> = match entry.dtype.as_str() {
            "F32" if raw.len() == count * 4 => raw.to_vec(),
            "F16" if raw.len() == count * 2 => raw
                .chunks_exact(2)
                .flat_map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32().to_le_bytes())
                .collect(),
            _ => return Err(bad(&format!("tensor {name} has a wrong size or type"))),
        };
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
