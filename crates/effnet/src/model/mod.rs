//! The EfficientNet network as burn modules, built from [`EfficientNetConfig`].

mod layers;
mod mbconv;
mod network;

pub use layers::{ConvBnAct, SqueezeExcite};
pub use mbconv::MbConv;
pub use network::{EfficientNet, Output};
