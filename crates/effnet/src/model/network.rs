//! The whole network: stem, MBConv blocks, head, pooling and classifier.

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig};
use burn::tensor::{DType, Device, Tensor};

use super::layers::{ActivationKernel, ConvBnAct, ConvSpec, DepthwiseImpl, global_avg_pool};
use super::mbconv::MbConv;
use crate::config::EfficientNetConfig;

/// EfficientNet V1, any member of the family.
#[derive(Module, Debug)]
pub struct EfficientNet {
    pub stem: ConvBnAct,
    pub blocks: Vec<MbConv>,
    pub head: ConvBnAct,
    pub dropout: Dropout,
    pub classifier: Linear,
}

/// What [`EfficientNet::forward_with_features`] returns.
#[derive(Debug, Clone)]
pub struct Output {
    /// `[batch, num_classes]`, before softmax.
    pub logits: Tensor<2>,
    /// The head's output `[batch, head_channels, h, w]` (after its activation, before
    /// pooling): what a class activation map weights with the classifier.
    pub features: Tensor<4>,
}

impl EfficientNetConfig {
    /// Builds the network with fresh (random) parameters on `device`.
    pub fn init(&self, device: &Device) -> EfficientNet {
        let act = Some(self.activation());
        let (pad, eps) = (self.padding, self.bn_eps);
        let stem_spec = ConvSpec {
            in_channels: 3,
            out_channels: self.stem_channels(),
            kernel: 3,
            stride: 2,
            groups: 1,
        };
        let stem = ConvBnAct::new(stem_spec, pad, eps, act, device);
        let specs = self.blocks();
        let last = specs
            .last()
            .map_or(self.stem_channels(), |b| b.out_channels);
        let blocks = specs
            .iter()
            .map(|spec| MbConv::new(spec, self, device))
            .collect();
        let head_spec = ConvSpec {
            in_channels: last,
            out_channels: self.head_channels(),
            kernel: 1,
            stride: 1,
            groups: 1,
        };
        let head = ConvBnAct::new(head_spec, pad, eps, act, device);
        let dropout = DropoutConfig::new(self.dropout).init();
        let classifier = LinearConfig::new(self.head_channels(), self.num_classes).init(device);
        EfficientNet {
            stem,
            blocks,
            head,
            dropout,
            classifier,
        }
    }
}

impl EfficientNet {
    /// Logits for a batch of normalised images `[batch, 3, height, width]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.forward_with_features(images).logits
    }

    /// Logits and the last feature map.
    pub fn forward_with_features(&self, images: Tensor<4>) -> Output {
        let x = (0..self.num_steps()).fold(images, |x, i| self.step(i, x));
        self.finish(x)
    }

    /// The same network with every batch norm folded into the convolution before it: fewer
    /// operations per inference (a batch norm is several element-wise passes on WebGPU without
    /// fusion), the same function up to float rounding. For inference only.
    pub fn fold_batch_norms(self) -> Self {
        Self {
            stem: self.stem.fold(),
            blocks: self.blocks.into_iter().map(MbConv::fold).collect(),
            head: self.head.fold(),
            ..self
        }
    }

    /// The same network with SiLU computed as `x / (1 + e^−x)` ([`crate::config::Activation::SiluExp`]):
    /// faster on burn's Flex CPU backend, where the CLI and the page's CPU path use it.
    pub fn with_exp_silu(self) -> Self {
        Self {
            stem: self.stem.with_exp_silu(),
            blocks: self.blocks.into_iter().map(MbConv::with_exp_silu).collect(),
            head: self.head.with_exp_silu(),
            ..self
        }
    }

    /// The same network with its depthwise convolutions computed by `depthwise`: burn's grouped
    /// convolution (the default), sums of shifted copies ([`crate::model::depthwise_shift_add`],
    /// slower on SwiftShader, kept for benchmarks) or a backend's own kernel.
    pub fn with_depthwise(self, depthwise: DepthwiseImpl) -> Self {
        Self {
            blocks: self
                .blocks
                .into_iter()
                .map(|b| b.with_depthwise(depthwise))
                .collect(),
            ..self
        }
    }

    /// The same network with the activations of its convolutions computed by `kernel`
    /// (burn's element-wise operations when `None`).
    pub fn with_activation_kernel(self, kernel: Option<ActivationKernel>) -> Self {
        Self {
            stem: self.stem.with_activation_kernel(kernel),
            blocks: self
                .blocks
                .into_iter()
                .map(|b| b.with_activation_kernel(kernel))
                .collect(),
            head: self.head.with_activation_kernel(kernel),
            ..self
        }
    }

    /// The network as the CPU runs it fastest: batch norms folded, SiLU as `x / (1 + e^−x)`
    /// and, with the `flex` feature, [`crate::model::flex_kernels`] for the depthwise
    /// convolutions and activations (they decline, and burn's operations run, on other backends).
    pub fn for_cpu(self) -> Self {
        let model = self.fold_batch_norms().with_exp_silu();
        #[cfg(feature = "flex")]
        let model = model
            .with_depthwise(super::flex_kernels::DEPTHWISE)
            .with_activation_kernel(Some(super::flex_kernels::ACTIVATION));
        model
    }

    /// The network as the page runs it on WebGPU: batch norms folded and the depthwise
    /// convolutions (with their bias and activation) in [`crate::cube::depthwise::KERNEL`].
    #[cfg(feature = "cube")]
    pub fn for_gpu(self) -> Self {
        self.fold_batch_norms()
            .with_depthwise(crate::cube::depthwise::KERNEL)
    }

    /// Whether the batch norms are folded (see [`EfficientNet::fold_batch_norms`]).
    pub fn is_folded(&self) -> bool {
        self.stem.bn.is_none()
    }

    /// How many [`EfficientNet::step`]s the body has: the stem, then each block.
    pub fn num_steps(&self) -> usize {
        self.blocks.len() + 1
    }

    /// One step of the body: `0` is the stem, `i ≥ 1` the `i`-th block. Running the steps in
    /// order and then [`EfficientNet::finish`] is [`EfficientNet::forward_with_features`]; a
    /// caller on a single thread (the page's CPU backend) can yield to its event loop between
    /// steps.
    pub fn step(&self, index: usize, x: Tensor<4>) -> Tensor<4> {
        match index {
            0 => self.stem.forward(to_dtype(x, self.dtype())),
            i => self.blocks[i - 1].forward(x),
        }
    }

    /// Head, pooling and classifier on the output of the last step.
    pub fn finish(&self, x: Tensor<4>) -> Output {
        let features = self.head.forward(x);
        let pooled = pool(features.clone());
        let logits = self.classifier.forward(self.dropout.forward(pooled));
        Output {
            logits: to_dtype(logits, DType::F32),
            features: to_dtype(features, DType::F32),
        }
    }

    /// The pooled features of a batch of normalised images `[batch, 3, height, width]`: the
    /// head's output averaged over its height and width, `[batch, head_channels]` in f32 (1280
    /// for B0 and the Lite variants, 2560 for B7). What a new classifier is trained on
    /// ([`crate::teach`]); the ImageNet classifier is not run.
    pub fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        let x = (0..self.num_steps()).fold(images, |x, i| self.step(i, x));
        self.finish_pooled(x)
    }

    /// As [`EfficientNet::finish`], for [`EfficientNet::pooled_features`]: the head and the
    /// pooling on the output of the last step, so a caller stepping through the body (the
    /// page's CPU path) can end with features instead of logits.
    pub fn finish_pooled(&self, x: Tensor<4>) -> Tensor<2> {
        to_dtype(pool(self.head.forward(x)), DType::F32)
    }

    /// The float type the network computes in: its parameters' (f32 unless
    /// [`EfficientNet::with_dtype`] chose another).
    pub fn dtype(&self) -> DType {
        self.classifier.weight.val().dtype()
    }

    /// The same network computing in `dtype` (e.g. f16 where a GPU offers it): every float
    /// parameter cast. It still takes f32 images (cast on the way in) and gives f32 logits and
    /// features (cast on the way out).
    pub fn with_dtype(self, dtype: DType) -> Self {
        struct Cast(DType);
        impl ModuleMapper for Cast {
            fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
                let dtype = self.0;
                param.map(|t| to_dtype(t, dtype))
            }
        }
        self.map(&mut Cast(dtype))
    }
}

/// `[batch, channels, h, w]` averaged over `h` and `w`: `[batch, channels]`.
fn pool(features: Tensor<4>) -> Tensor<2> {
    let [b, c, _, _] = features.dims();
    global_avg_pool(features).reshape([b, c])
}

pub(crate) fn to_dtype<const D: usize>(t: Tensor<D>, dtype: DType) -> Tensor<D> {
    if t.dtype() == dtype { t } else { t.cast(dtype) }
}
