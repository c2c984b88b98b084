//! The EfficientNet network as burn modules, built from [`EfficientNetConfig`].

mod cam;
#[cfg(feature = "flex")]
pub mod flex_kernels;
mod layers;
mod mbconv;
mod network;

pub use layers::{
    ActivationKernel, ConvBnAct, DepthwiseCall, DepthwiseImpl, DepthwiseKernel, SqueezeExcite,
    depthwise_shift_add,
};
pub use mbconv::{MbConv, Part};
pub use network::{EfficientNet, Output};
