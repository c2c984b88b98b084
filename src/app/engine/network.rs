//! Building a network for a backend: from the web format's bytes or randomly initialised, then
//! set up the way it runs fastest there.

use effnet::model::{DepthwiseImpl, flex_kernels};
use effnet::weights::web;
use effnet::{EfficientNet, Variant};

use super::depthwise_gpu;
use crate::app::state::backend::BackendKind;
use crate::app::state::error::AppError;
use crate::app::state::options::{DepthwiseChoice, EngineOptions};

/// The network as it runs fastest on `kind`: batch norms folded into the convolutions (files
/// written by `effnet convert` are folded already); the depthwise layers run our own kernels
/// (convolution, bias and activation in one pass): [`depthwise_gpu`] on WebGPU, the core's
/// Flex kernels on the CPU, where SiLU is x / (1 + e^−x) computed in place by the core's
/// activation kernel too. The bench knobs of [`EngineOptions`] choose otherwise.
pub fn for_backend(
    model: EfficientNet,
    kind: BackendKind,
    options: &EngineOptions,
) -> EfficientNet {
    let model = model.fold_batch_norms();
    let cpu = kind == BackendKind::Cpu;
    let model = if cpu && !options.silu_sigmoid {
        model.with_exp_silu()
    } else {
        model
    };
    let act_kernel = cpu && !options.silu_sigmoid && !options.burn_activations;
    let model = model.with_activation_kernel(act_kernel.then_some(flex_kernels::ACTIVATION));
    let depthwise = match (options.depthwise, kind) {
        (DepthwiseChoice::ShiftAdd, _) => DepthwiseImpl::ShiftAdd,
        (DepthwiseChoice::Grouped, _) => DepthwiseImpl::Grouped,
        (_, BackendKind::Cpu) => flex_kernels::DEPTHWISE,
        (DepthwiseChoice::KernelNchw, BackendKind::WebGpu) => depthwise_gpu::KERNEL_NCHW,
        (DepthwiseChoice::Kernel, BackendKind::WebGpu) => depthwise_gpu::KERNEL,
    };
    model.with_depthwise(depthwise)
}

/// `variant`'s network from the web format's `bytes`.
pub fn from_web_format(
    bytes: &[u8],
    variant: Variant,
    device: &burn::tensor::Device,
) -> Result<EfficientNet, AppError> {
    web::load(bytes, Some(variant.name()), device)
        .map(|(_config, model)| model)
        .map_err(|e| AppError::BadWeights {
            detail: e.to_string(),
        })
}
