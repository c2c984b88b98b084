//! Weights: reading PyTorch checkpoints in four namings, and the compact web format.
//!
//! Every path ends in [`apply`], which hands named tensors to burn-store and turns anything but
//! a complete, exact load into a [`WeightsError`] that names the offending tensors.

mod error;
pub mod manifest;
pub mod naming;
pub mod web;

#[cfg(feature = "native")]
pub mod import;

pub use error::WeightsError;
pub use naming::Source;

use burn_store::burn_pack::Tensor as PackTensor;
use burn_store::{ApplyError, ModuleAdapter, ModuleSnapshot};

use crate::model::EfficientNet;

/// Loads `tensors` (named by their path in [`EfficientNet`]) into `model`. Fails unless every
/// parameter of the model is given exactly once with the right shape.
pub fn apply(
    model: &mut EfficientNet,
    tensors: Vec<PackTensor>,
    adapter: Box<dyn ModuleAdapter>,
) -> Result<(), WeightsError> {
    let result = model.apply(tensors, None, Some(adapter), false);
    let missing: Vec<String> = result
        .missing
        .iter()
        .map(|(path, _)| path.clone())
        .collect();
    let errors: Vec<String> = result.errors.iter().map(describe_error).collect();
    if missing.is_empty() && result.unused.is_empty() && errors.is_empty() {
        Ok(())
    } else {
        Err(WeightsError::Mismatch {
            missing,
            unexpected: result.unused.clone(),
            errors,
        })
    }
}

fn describe_error(error: &ApplyError) -> String {
    match error {
        ApplyError::ShapeMismatch {
            path,
            expected,
            found,
        } => {
            format!(
                "{path} is {:?} but the network needs {:?}",
                found.iter().collect::<Vec<_>>(),
                expected.iter().collect::<Vec<_>>()
            )
        }
        other => other.to_string(),
    }
}
