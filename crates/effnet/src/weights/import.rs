//! Reading PyTorch checkpoints (zip or legacy format) with burn-store, in any of the four
//! namings of [`Source`].

use std::collections::BTreeMap;
use std::path::Path;

use burn::tensor::{DType, Device};
use burn_store::burn_pack::Tensor as PackTensor;
use burn_store::{
    FloatCastAdapter, ModuleAdapter, ModuleStore, PyTorchToBurnAdapter, PytorchStore,
};

use super::{Source, WeightsError};
use crate::config::EfficientNetConfig;
use crate::model::EfficientNet;

/// All tensors of a checkpoint by key. State dicts saved whole or under `state_dict`/`model`.
pub fn read_checkpoint(path: &Path) -> Result<BTreeMap<String, PackTensor>, WeightsError> {
    if !path.is_file() {
        return Err(WeightsError::Unreadable(format!(
            "{} is not a file",
            path.display()
        )));
    }
    let mut last_error = String::new();
    for top in [None, Some("state_dict"), Some("model")] {
        let mut store = PytorchStore::from_file(path).map_indices_contiguous(false);
        if let Some(top) = top {
            store = store.with_top_level_key(top);
        }
        match store.get_all_tensors() {
            Ok(tensors) if !tensors.is_empty() => return Ok(tensors.clone()),
            Ok(_) => last_error = "it holds no tensors".into(),
            Err(e) if top.is_none() => last_error = e.to_string(),
            Err(_) => {}
        }
    }
    Err(WeightsError::Unreadable(format!(
        "{} is not a PyTorch checkpoint: {last_error}",
        path.display()
    )))
}

/// Which naming a checkpoint uses, from `requested` or else from its keys.
pub fn source_of(
    tensors: &BTreeMap<String, PackTensor>,
    requested: Option<Source>,
) -> Result<Source, WeightsError> {
    requested
        .or_else(|| Source::detect(tensors.keys().map(String::as_str)))
        .ok_or_else(|| {
            WeightsError::Unreadable(
                "the key naming is none of seed, torchvision, timm, lukemelas: pass --source"
                    .into(),
            )
        })
}

/// Number of classes of the checkpoint's classifier, if it has one where `source` puts it.
pub fn num_classes(tensors: &BTreeMap<String, PackTensor>, source: Source) -> Option<usize> {
    let key = match source {
        Source::Seed => ["classifier.1.weight", "classifier.0.weight"]
            .into_iter()
            .find(|k| tensors.contains_key(*k))?,
        Source::Torchvision => "classifier.1.weight",
        Source::Timm | Source::TimmTf => "classifier.weight",
        Source::Lukemelas => "_fc.weight",
    };
    tensors.get(key).map(|t| t.shape[0])
}

/// Renames a checkpoint's tensors to this crate's paths for `config`.
pub fn rename(
    tensors: BTreeMap<String, PackTensor>,
    source: Source,
    config: &EfficientNetConfig,
) -> Result<Vec<PackTensor>, WeightsError> {
    let blocks = config.blocks();
    let mut unknown = Vec::new();
    let mut out = Vec::with_capacity(tensors.len());
    for (key, mut tensor) in tensors {
        match source.canonical(&key, &blocks) {
            Ok(Some(path)) => {
                tensor.name = path;
                out.push(tensor);
            }
            Ok(None) => {}
            Err(_) => unknown.push(key),
        }
    }
    if unknown.is_empty() {
        Ok(out)
    } else {
        Err(WeightsError::UnknownKeys {
            source: source.name().into(),
            keys: unknown,
        })
    }
}

/// Builds `config` on `device` and fills it from the checkpoint at `path`.
pub fn load_pytorch(
    path: &Path,
    source: Option<Source>,
    config: &EfficientNetConfig,
    device: &Device,
) -> Result<EfficientNet, WeightsError> {
    let tensors = read_checkpoint(path)?;
    let source = source_of(&tensors, source)?;
    let tensors = rename(tensors, source, config)?;
    let mut model = config.init(device);
    let adapter: Box<dyn ModuleAdapter> =
        Box::new(PyTorchToBurnAdapter.chain(FloatCastAdapter::to(DType::F32)));
    super::apply(&mut model, tensors, adapter)?;
    Ok(model)
}
