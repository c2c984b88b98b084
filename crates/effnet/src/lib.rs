//! EfficientNet V1 (B0–B7, Lite0–Lite4) in pure burn.
//!
//! - [`config`]: one configuration type for the whole family and its presets.
//! - [`model`]: the burn modules built from it.
//! - [`describe`]: per-stage architecture, parameters and FLOPs, from the same configuration.
//! - [`weights`]: importing PyTorch checkpoints and the compact web format.
//! - [`preprocess`]: resize, crop and normalise, shared by the CLI and the page.
//! - [`labels`]: the ImageNet-1k class names; [`predict`]: softmax and top-k.
//! - [`image_header`]: an image file's format and size from its first bytes, before decoding;
//!   [`admission`]: which pictures are taken, read at what size, or refused and why.
//! - `cube` (feature `cube`): the CubeCL kernels the page runs on WebGPU (depthwise convolution,
//!   preprocessing).
//! - [`estimate`]: which backend is faster here, how long a variant not yet run will take.
//! - [`teach`]: your own classes: a head trained on pooled features (split, training with
//!   burn's autodiff and Adam, metrics, the nearest-class-mean baseline, the head file).
//! - [`session`]: an app's loaded networks, shared loads and its request policy (newer
//!   supersedes older, a busy model drops webcam frames); [`stats`]: medians of timings.

pub mod admission;
pub mod config;
pub mod describe;
pub mod estimate;
pub mod image_header;
pub mod jpeg;
pub mod labels;
pub mod model;
pub mod predict;
pub mod preprocess;
mod safetensors;
pub mod session;
pub mod stats;
pub mod teach;
pub mod weights;

#[cfg(feature = "native")]
pub mod cli;
#[cfg(feature = "cube")]
pub mod cube;
#[cfg(feature = "decode")]
pub mod image_file;
#[cfg(all(feature = "libjpeg-turbo", not(target_arch = "wasm32")))]
mod libjpeg_turbo;

pub use config::{EfficientNetConfig, Family, Padding, Variant};
pub use model::EfficientNet;
