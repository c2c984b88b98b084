//! CubeCL kernels for burn's CubeCL backend (the page runs them on WebGPU), behind the `cube`
//! feature:
//!
//! - [`depthwise`]: depthwise convolution + bias + activation in one pass, plugged into the
//!   model through [`crate::model::DepthwiseImpl::Kernel`] ([`depthwise::KERNEL`],
//!   [`depthwise::KERNEL_NCHW`]).
//! - [`preprocess`]: the [`crate::preprocess::CropPlan`] of a photo run on the GPU, bit for bit
//!   what [`crate::preprocess::Preprocessing::apply`] computes ([`preprocess::prepare`]).
//!
//! Both decline (the caller falls back to burn's operations or the CPU) for tensors that are not
//! on burn's CubeCL backend. Natively, `tests/cube_kernels.rs` runs them on wgpu against burn's
//! grouped convolution and the CPU preprocessing.

pub mod depthwise;
pub mod preprocess;
