//! The EfficientNet network as burn modules, built from [`EfficientNetConfig`].

mod cam;
mod layers;
mod mbconv;
mod network;

pub use layers::{ConvBnAct, DepthwiseCall, DepthwiseImpl, DepthwiseKernel, SqueezeExcite, depthwise_shift_add};
pub use mbconv::{MbConv, Part};
pub use network::{EfficientNet, Output};
