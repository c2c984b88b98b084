//! Small building blocks: convolution + batch norm + activation, and Squeeze-and-Excitation.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::activation::{relu6, sigmoid, silu};
use burn::tensor::{Device, Tensor};

use crate::config::{Activation, Padding};

/// Applies `act` to any tensor.
pub fn activate<const D: usize>(act: Activation, x: Tensor<D>) -> Tensor<D> {
    match act {
        Activation::Silu => silu(x),
        Activation::SiluExp => x.clone() / (x.neg().exp() + 1.0),
        Activation::Relu6 => relu6(x),
    }
}

/// [`Activation::SiluExp`] for SiLU, anything else unchanged.
pub fn exp_silu(act: Activation) -> Activation {
    match act {
        Activation::Silu => Activation::SiluExp,
        other => other,
    }
}

fn padding_config(padding: Padding, kernel: usize) -> PaddingConfig2d {
    match padding {
        Padding::Symmetric => {
            let p = (kernel - 1) / 2;
            PaddingConfig2d::Explicit(p, p, p, p)
        }
        // burn's `Same` puts total/2 before and the rest after, with output ceil(in / stride):
        // exactly TensorFlow's SAME.
        Padding::TfSame => PaddingConfig2d::Same,
    }
}

/// A bias-free convolution, batch norm and an optional activation (the reference's
/// `ConvBNActivation`). After [`ConvBnAct::fold`] the batch norm lives in the convolution's
/// weights and bias and `bn` is `None`.
#[derive(Module, Debug)]
pub struct ConvBnAct {
    pub conv: Conv2d,
    pub bn: Option<BatchNorm>,
    #[module(skip)]
    pub act: Option<Activation>,
}

/// Shape of one [`ConvBnAct`].
#[derive(Debug, Clone, Copy)]
pub struct ConvSpec {
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel: usize,
    pub stride: usize,
    pub groups: usize,
}

impl ConvBnAct {
    pub fn new(spec: ConvSpec, padding: Padding, eps: f64, act: Option<Activation>, device: &Device) -> Self {
        let conv = Conv2dConfig::new([spec.in_channels, spec.out_channels], [spec.kernel, spec.kernel])
            .with_stride([spec.stride, spec.stride])
            .with_groups(spec.groups)
            .with_padding(padding_config(padding, spec.kernel))
            .with_bias(false)
            .init(device);
        let bn = BatchNormConfig::new(spec.out_channels).with_epsilon(eps).init(device);
        Self { conv, bn: Some(bn), act }
    }

    /// The same layer with SiLU computed as `x / (1 + e^−x)` ([`Activation::SiluExp`]).
    pub fn with_exp_silu(self) -> Self {
        Self { act: self.act.map(exp_silu), ..self }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.conv.forward(x);
        let x = match &self.bn {
            Some(bn) => bn.forward(x),
            None => x,
        };
        match self.act {
            Some(act) => activate(act, x),
            None => x,
        }
    }
}

impl ConvBnAct {
    /// Folds the batch norm (inference statistics) into the convolution:
    /// `w' = w · γ/√(σ² + ε)` per output channel and `b' = β − μ · γ/√(σ² + ε)`. The result
    /// computes the same function with one operation less.
    pub fn fold(mut self) -> Self {
        let Some(bn) = self.bn.take() else {
            return self;
        };
        let scale = bn.gamma.val() / (bn.running_var.value() + bn.epsilon).sqrt();
        let shift = bn.beta.val() - bn.running_mean.value() * scale.clone();
        let weight = self.conv.weight.val();
        let [out, _, _, _] = weight.dims();
        let bias = match self.conv.bias.take() {
            Some(b) => b.val() * scale.clone() + shift,
            None => shift,
        };
        self.conv.weight = Param::from_tensor(weight * scale.reshape([out, 1, 1, 1]));
        self.conv.bias = Some(Param::from_tensor(bias));
        self
    }
}

/// Squeeze-and-Excitation: global average pool, 1×1 conv down, activation, 1×1 conv up,
/// sigmoid, and rescale the input.
#[derive(Module, Debug)]
pub struct SqueezeExcite {
    pub reduce: Conv2d,
    pub expand: Conv2d,
    #[module(skip)]
    pub act: Activation,
}

impl SqueezeExcite {
    pub fn new(channels: usize, squeeze: usize, act: Activation, device: &Device) -> Self {
        Self {
            reduce: Conv2dConfig::new([channels, squeeze], [1, 1]).init(device),
            expand: Conv2dConfig::new([squeeze, channels], [1, 1]).init(device),
            act,
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let scale = global_avg_pool(x.clone());
        let scale = activate(self.act, self.reduce.forward(scale));
        let scale = sigmoid(self.expand.forward(scale));
        x * scale
    }
}

/// Mean over height and width, keeping them as 1×1.
pub fn global_avg_pool(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h * w]).mean_dim(2).reshape([b, c, 1, 1])
}
