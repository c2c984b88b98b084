//! Small building blocks: convolution + batch norm + activation, and Squeeze-and-Excitation.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::activation::{relu6, sigmoid, silu};
use burn::tensor::ops::PadMode;
use burn::tensor::{Device, Slice, Tensor};

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
    /// How a depthwise convolution is computed (anything but [`DepthwiseImpl::Grouped`] only
    /// on depthwise layers).
    #[module(skip)]
    pub depthwise: DepthwiseImpl,
    /// Computes the activation instead of burn's element-wise operations when set (and when it
    /// takes the tensor).
    #[module(skip)]
    pub activation_kernel: Option<ActivationKernel>,
}

/// An activation computed outside burn's operations: `Ok(act(x))`, or `Err(x)` to decline.
pub type ActivationKernel = fn(Tensor<4>, Activation) -> Result<Tensor<4>, Tensor<4>>;

/// How a depthwise [`ConvBnAct`] computes its convolution.
#[derive(Debug, Clone, Copy, Default)]
pub enum DepthwiseImpl {
    /// burn's grouped convolution.
    #[default]
    Grouped,
    /// [`depthwise_shift_add`]: shifted, per-channel-scaled copies of the input, summed.
    ShiftAdd,
    /// A kernel (the page's CubeCL kernel on WebGPU, [`crate::model::flex_kernels`] on the CPU) that computes
    /// convolution, bias and activation in one pass. Used on folded layers only; a kernel that
    /// cannot take the call hands the input back and burn's grouped convolution runs instead.
    Kernel(DepthwiseKernel),
}

/// See [`DepthwiseImpl::Kernel`]: `Ok(activation(conv(x) + bias))` or `Err(x)` to decline.
pub type DepthwiseKernel = fn(Tensor<4>, &DepthwiseCall) -> Result<Tensor<4>, Tensor<4>>;

/// Everything a [`DepthwiseKernel`] needs: output `[n, c, out_h, out_w]` where
/// `out[n, c, y, x] = act(bias[c] + Σ_(i,j) weight[c, 0, i, j] · in[n, c, y·stride + i − pad_top,
/// x·stride + j − pad_left])`, reads outside the input counting as zero.
#[derive(Debug, Clone)]
pub struct DepthwiseCall {
    /// `[channels, 1, k, k]`.
    pub weight: Tensor<4>,
    /// `[channels]`.
    pub bias: Tensor<1>,
    pub kernel: usize,
    pub stride: usize,
    /// Zero rows above and columns left of the input (those below and right follow from the
    /// output size).
    pub pad_top: usize,
    pub pad_left: usize,
    pub out_h: usize,
    pub out_w: usize,
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
    pub fn new(
        spec: ConvSpec,
        padding: Padding,
        eps: f64,
        act: Option<Activation>,
        device: &Device,
    ) -> Self {
        let conv = Conv2dConfig::new(
            [spec.in_channels, spec.out_channels],
            [spec.kernel, spec.kernel],
        )
        .with_stride([spec.stride, spec.stride])
        .with_groups(spec.groups)
        .with_padding(padding_config(padding, spec.kernel))
        .with_bias(false)
        .init(device);
        let bn = BatchNormConfig::new(spec.out_channels)
            .with_epsilon(eps)
            .init(device);
        Self {
            conv,
            bn: Some(bn),
            act,
            depthwise: DepthwiseImpl::Grouped,
            activation_kernel: None,
        }
    }

    /// The same layer with SiLU computed as `x / (1 + e^−x)` ([`Activation::SiluExp`]).
    pub fn with_exp_silu(self) -> Self {
        Self {
            act: self.act.map(exp_silu),
            ..self
        }
    }

    /// Whether this is a depthwise layer (one filter per channel).
    pub fn is_depthwise(&self) -> bool {
        self.conv.groups > 1 && self.conv.groups == self.conv.weight.dims()[0]
    }

    /// The same layer computing its convolution with `depthwise` if it is a depthwise layer.
    pub fn with_depthwise(self, depthwise: DepthwiseImpl) -> Self {
        let depthwise = if self.is_depthwise() {
            depthwise
        } else {
            DepthwiseImpl::Grouped
        };
        Self { depthwise, ..self }
    }

    /// The same layer computing its activation with `kernel` (burn's operations when `None`).
    pub fn with_activation_kernel(self, kernel: Option<ActivationKernel>) -> Self {
        Self {
            activation_kernel: kernel,
            ..self
        }
    }

    /// The call a [`DepthwiseKernel`] gets for input `x`; `None` before folding.
    pub fn depthwise_call(&self, x: &Tensor<4>) -> Option<DepthwiseCall> {
        let bias = self.conv.bias.as_ref()?.val();
        if self.bn.is_some() || !self.is_depthwise() {
            return None;
        }
        let [_, _, h, w] = x.dims();
        let geometry = DepthwiseGeometry::new(&self.conv, h, w);
        Some(DepthwiseCall {
            weight: self.conv.weight.val(),
            bias,
            kernel: geometry.kernel,
            stride: geometry.stride,
            pad_top: geometry.top,
            pad_left: geometry.left,
            out_h: geometry.out_h,
            out_w: geometry.out_w,
            act: self.act,
        })
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = match self.depthwise {
            DepthwiseImpl::Grouped => self.conv.forward(x),
            DepthwiseImpl::ShiftAdd => depthwise_shift_add(&self.conv, x),
            DepthwiseImpl::Kernel(kernel) => match self.depthwise_call(&x) {
                Some(call) => match kernel(x, &call) {
                    Ok(out) => return out,
                    Err(x) => self.conv.forward(x),
                },
                None => self.conv.forward(x),
            },
        };
        let x = match &self.bn {
            Some(bn) => bn.forward(x),
            None => x,
        };
        match (self.act, self.activation_kernel) {
            (Some(act), Some(kernel)) => kernel(x, act).unwrap_or_else(|x| activate(act, x)),
            (Some(act), None) => activate(act, x),
            (None, _) => x,
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

/// A depthwise convolution (`groups` = channels, odd square kernel, symmetric or TF-SAME
/// padding) as `Σ_(i,j) w[:, i, j] · shift_(i,j)(x)`: k² strided slices of the padded input,
/// each scaled per channel and summed: only element-wise work, 3k² kernels on a GPU without
/// fusion. Measured on SwiftShader WebGPU it is slower than burn's grouped convolution (B0's
/// depthwise layers 2.3 s against 0.9 s), so nothing uses it by default; the page's bench can
/// time it (`?dw=shift`) on other GPUs.
pub fn depthwise_shift_add(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let [_, c, h, w] = x.dims();
    let DepthwiseGeometry {
        kernel: k,
        stride: s,
        top,
        bottom,
        left,
        right,
        out_h: ho,
        out_w: wo,
    } = DepthwiseGeometry::new(conv, h, w);
    let padded = x.pad((left, right, top, bottom), PadMode::Constant(0.0));
    let weight = conv.weight.val();
    let full = Slice::new(0, None, 1);
    let mut out: Option<Tensor<4>> = None;
    for i in 0..k {
        for j in 0..k {
            let tap = padded.clone().slice([
                full,
                full,
                Slice::new(
                    i as isize,
                    Some((i + s * (ho - 1) + 1) as isize),
                    s as isize,
                ),
                Slice::new(
                    j as isize,
                    Some((j + s * (wo - 1) + 1) as isize),
                    s as isize,
                ),
            ]);
            let scale = weight
                .clone()
                .slice([0..c, 0..1, i..i + 1, j..j + 1])
                .reshape([1, c, 1, 1]);
            let term = tap * scale;
            out = Some(match out {
                Some(acc) => acc + term,
                None => term,
            });
        }
    }
    let out = out.expect("a kernel has at least one tap");
    match &conv.bias {
        Some(bias) => out + bias.val().reshape([1, c, 1, 1]),
        None => out,
    }
}

/// Kernel, stride, zero padding on each side and output size of a depthwise convolution (odd
/// square kernel, symmetric or TF-SAME padding) over an `h × w` input.
struct DepthwiseGeometry {
    kernel: usize,
    stride: usize,
    top: usize,
    bottom: usize,
    left: usize,
    right: usize,
    out_h: usize,
    out_w: usize,
}

impl DepthwiseGeometry {
    fn new(conv: &Conv2d, h: usize, w: usize) -> Self {
        let [kernel, _] = conv.kernel_size;
        let [stride, _] = conv.stride;
        let (out_h, out_w) = (h.div_ceil(stride), w.div_ceil(stride));
        let pads = |size: usize, out: usize| match conv.padding {
            PaddingConfig2d::Explicit(p, ..) => (p, p),
            _ => {
                let total = ((out - 1) * stride + kernel).saturating_sub(size);
                (total / 2, total - total / 2)
            }
        };
        let ((top, bottom), (left, right)) = (pads(h, out_h), pads(w, out_w));
        Self {
            kernel,
            stride,
            top,
            bottom,
            left,
            right,
            out_h,
            out_w,
        }
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
