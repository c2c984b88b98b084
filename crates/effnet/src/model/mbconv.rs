//! The mobile inverted bottleneck block (MBConv).

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};

use super::layers::{ActivationKernel, ConvBnAct, ConvSpec, DepthwiseImpl, SqueezeExcite};
use crate::config::{BlockSpec, EfficientNetConfig};

/// Expansion (skipped when the ratio is 1), depthwise convolution, optional SE, projection,
/// and the shortcut when stride is 1 and channels are unchanged.
#[derive(Module, Debug)]
pub struct MbConv {
    pub expand: Option<ConvBnAct>,
    pub depthwise: ConvBnAct,
    pub se: Option<SqueezeExcite>,
    pub project: ConvBnAct,
    #[module(skip)]
    pub residual: bool,
    #[module(skip)]
    pub drop_path: f64,
}

impl MbConv {
    pub fn new(spec: &BlockSpec, config: &EfficientNetConfig, device: &Device) -> Self {
        let act = Some(config.activation());
        let (pad, eps) = (config.padding, config.bn_eps);
        let expanded = spec.expanded_channels;
        let conv = |in_channels, out_channels, kernel, stride, groups| ConvSpec {
            in_channels,
            out_channels,
            kernel,
            stride,
            groups,
        };
        let expand = (spec.expand_ratio != 1).then(|| {
            ConvBnAct::new(
                conv(spec.in_channels, expanded, 1, 1, 1),
                pad,
                eps,
                act,
                device,
            )
        });
        let depthwise = ConvBnAct::new(
            conv(expanded, expanded, spec.kernel, spec.stride, expanded),
            pad,
            eps,
            act,
            device,
        );
        let se = spec
            .se_channels
            .map(|squeeze| SqueezeExcite::new(expanded, squeeze, config.activation(), device));
        let project = ConvBnAct::new(
            conv(expanded, spec.out_channels, 1, 1, 1),
            pad,
            eps,
            None,
            device,
        );
        Self {
            expand,
            depthwise,
            se,
            project,
            residual: spec.residual,
            drop_path: spec.drop_path,
        }
    }

    /// SiLU computed as `x / (1 + e^−x)` everywhere in the block.
    pub fn with_exp_silu(self) -> Self {
        Self {
            expand: self.expand.map(ConvBnAct::with_exp_silu),
            depthwise: self.depthwise.with_exp_silu(),
            se: self.se.map(|se| SqueezeExcite {
                act: super::layers::exp_silu(se.act),
                ..se
            }),
            ..self
        }
    }

    /// The depthwise convolution computed by `depthwise` (see [`DepthwiseImpl`]).
    pub fn with_depthwise(self, depthwise: DepthwiseImpl) -> Self {
        Self {
            depthwise: self.depthwise.with_depthwise(depthwise),
            ..self
        }
    }

    /// Every activation of the block's convolutions computed by `kernel` (see
    /// [`ConvBnAct::with_activation_kernel`]).
    pub fn with_activation_kernel(self, kernel: Option<ActivationKernel>) -> Self {
        Self {
            expand: self.expand.map(|c| c.with_activation_kernel(kernel)),
            depthwise: self.depthwise.with_activation_kernel(kernel),
            project: self.project.with_activation_kernel(kernel),
            ..self
        }
    }

    /// Every batch norm folded into its convolution ([`ConvBnAct::fold`]).
    pub fn fold(self) -> Self {
        Self {
            expand: self.expand.map(ConvBnAct::fold),
            depthwise: self.depthwise.fold(),
            project: self.project.fold(),
            ..self
        }
    }

    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let x = Part::ALL
            .into_iter()
            .fold(input.clone(), |x, part| self.forward_part(part, x));
        self.finish(x, input)
    }

    /// One operation of the block (the identity for a part the block lacks). Running
    /// [`Part::ALL`] in order and then [`MbConv::finish`] is [`MbConv::forward`]; the page's
    /// profiler times each part.
    pub fn forward_part(&self, part: Part, x: Tensor<4>) -> Tensor<4> {
        match (part, &self.expand, &self.se) {
            (Part::Expand, Some(expand), _) => expand.forward(x),
            (Part::Depthwise, _, _) => self.depthwise.forward(x),
            (Part::SqueezeExcite, _, Some(se)) => se.forward(x),
            (Part::Project, _, _) => self.project.forward(x),
            _ => x,
        }
    }

    /// Whether the block has `part`.
    pub fn has_part(&self, part: Part) -> bool {
        match part {
            Part::Expand => self.expand.is_some(),
            Part::SqueezeExcite => self.se.is_some(),
            Part::Depthwise | Part::Project => true,
        }
    }

    /// The shortcut: `x + input` when the block has one, else `x`.
    pub fn finish(&self, x: Tensor<4>, input: Tensor<4>) -> Tensor<4> {
        if self.residual {
            drop_path(x, self.drop_path) + input
        } else {
            x
        }
    }
}

/// The operations of an [`MbConv`], in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// 1×1 expansion convolution (+ folded or separate batch norm, activation).
    Expand,
    /// k×k depthwise convolution (+ batch norm, activation).
    Depthwise,
    SqueezeExcite,
    /// 1×1 projection convolution (+ batch norm).
    Project,
}

impl Part {
    pub const ALL: [Part; 4] = [
        Part::Expand,
        Part::Depthwise,
        Part::SqueezeExcite,
        Part::Project,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Part::Expand => "expand 1×1",
            Part::Depthwise => "depthwise k×k",
            Part::SqueezeExcite => "squeeze-excite",
            Part::Project => "project 1×1",
        }
    }
}

/// Stochastic depth: while training (an autodiff device), zero whole samples of the residual
/// branch with probability `rate` and rescale the rest; the identity at inference.
fn drop_path(x: Tensor<4>, rate: f64) -> Tensor<4> {
    if rate == 0.0 || !x.device().is_autodiff() {
        return x;
    }
    let keep = 1.0 - rate;
    let device: Device = x.device();
    let mask = Tensor::<4>::random(
        [x.dims()[0], 1, 1, 1],
        Distribution::Bernoulli(keep),
        &device,
    );
    x * mask / keep
}
