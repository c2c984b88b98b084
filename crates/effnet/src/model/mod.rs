//! The EfficientNet network as burn modules, built from [`EfficientNetConfig`].

mod cam;
mod layers;
mod mbconv;
mod network;

pub use layers::{ConvBnAct, SqueezeExcite};
pub use mbconv::MbConv;
pub use network::{EfficientNet, Output};
