//! A dedicated CubeCL kernel (WebGPU in the page) for the depthwise layers: convolution, bias and
//! activation in one pass, one invocation per output value, plugged into the model through
//! [`DepthwiseImpl::Kernel`].
//!
//! Without autotune, burn runs a grouped convolution through its general direct-convolution
//! kernel and the activation as separate element-wise kernels (two for SiLU: sigmoid, then the
//! product), each a full pass over the largest tensors of the network. This kernel reads each
//! input value k² times from cache and writes the activated result once, channels-last (the
//! layout burn's next 1×1 convolution wants), handed back as an NCHW view.
//!
//! It declines (and burn's grouped convolution runs) for anything but f32 or f16 tensors (all
//! three of one type) on burn's CubeCL backend.

use std::sync::atomic::{AtomicU32, Ordering};

use burn::backend::Cube;
use burn::backend::cubecl::dtype_to_storage_type;
use burn::tensor::{DType, Shape, Tensor as BurnTensor};
use burn_cubecl::kernel::untile;
use burn_cubecl::ops::numeric::empty_device_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::{calculate_cube_count_elemwise, prelude::*};

use crate::config::Activation;
use crate::model::{DepthwiseCall, DepthwiseImpl};

/// The kernel as the core takes it, writing its output channels-last (the default).
pub const KERNEL: DepthwiseImpl =
    DepthwiseImpl::Kernel(|x, call| depthwise_bias_act(x, call, true));

/// The same kernel writing NCHW-contiguous output (the `?dwlayout=nchw` bench knob).
pub const KERNEL_NCHW: DepthwiseImpl =
    DepthwiseImpl::Kernel(|x, call| depthwise_bias_act(x, call, false));

static LAUNCHED: AtomicU32 = AtomicU32::new(0);
static DECLINED: AtomicU32 = AtomicU32::new(0);

/// How many depthwise layers this kernel has run and declined since the program started (the
/// page publishes them in `window.__effnet.depthwise`, so tests can see that it is really in
/// use).
pub fn counts() -> (u32, u32) {
    (
        LAUNCHED.load(Ordering::Relaxed),
        DECLINED.load(Ordering::Relaxed),
    )
}

/// `output[n, y, x, c] = act(bias[c] + Σ_(i,j) weight[c, 0, i, j] · input[n, c, y·s + i − top, x·s + j − left])`.
#[cube(launch)]
fn depthwise_kernel<F: Float>(
    input: &Tensor<F>,
    weight: &Tensor<F>,
    bias: &Tensor<F>,
    output: &mut Tensor<F>,
    pad_top: u32,
    pad_left: u32,
    #[comptime] kernel: u32,
    #[comptime] stride: u32,
    #[comptime] silu: bool,
    #[comptime] relu6: bool,
    #[comptime] channels_last: bool,
    #[define(F)] _dtype: ElemType,
) {
    if ABSOLUTE_POS >= output.len() {
        terminate!();
    }
    // Split the output position into indices, innermost first: (c, x, y) channels-last,
    // (x, y, c) for NCHW.
    let channels = weight.shape(0);
    let (out_h, out_w) = if channels_last {
        (output.shape(1), output.shape(2))
    } else {
        (output.shape(2), output.shape(3))
    };
    let first = if channels_last { channels } else { out_w };
    let second = if channels_last { out_w } else { out_h };
    let third = if channels_last { out_h } else { channels };
    let i0 = ABSOLUTE_POS % first;
    let rest = ABSOLUTE_POS / first;
    let i1 = rest % second;
    let rest = rest / second;
    let i2 = rest % third;
    let n = rest / third;
    let c = if channels_last { i0 } else { i2 };
    let x = if channels_last { i1 } else { i0 };
    let y = if channels_last { i2 } else { i1 };

    let h = input.shape(2) as i32;
    let w = input.shape(3) as i32;
    let base = n * input.stride(0) + c * input.stride(1);
    let row = input.stride(2);
    let col = input.stride(3);
    let w_base = c * weight.stride(0);
    let w_row = weight.stride(2);
    let w_col = weight.stride(3);
    let y0 = (y * stride as usize) as i32 - pad_top as i32;
    let x0 = (x * stride as usize) as i32 - pad_left as i32;

    let mut sum = bias[c * bias.stride(0)];
    #[unroll]
    for i in 0..kernel {
        let iy = y0 + i as i32;
        if iy >= 0 && iy < h {
            #[unroll]
            for j in 0..kernel {
                let ix = x0 + j as i32;
                if ix >= 0 && ix < w {
                    sum += input[base + iy as usize * row + ix as usize * col]
                        * weight[w_base + i as usize * w_row + j as usize * w_col];
                }
            }
        }
    }
    if silu {
        sum = sum / (F::new(1.0) + (-sum).exp());
    }
    if relu6 {
        if sum < F::new(0.0) {
            sum = F::new(0.0);
        }
        if sum > F::new(6.0) {
            sum = F::new(6.0);
        }
    }
    output[ABSOLUTE_POS] = sum;
}

fn cube_tensor<const D: usize>(t: &BurnTensor<D>, dtype: DType) -> Option<CubeTensor> {
    if !matches!(dtype, DType::F32 | DType::F16) || t.dtype() != dtype {
        return None;
    }
    t.clone().try_into_primitive::<Cube>().ok().map(untile)
}

/// [`crate::model::DepthwiseKernel`] on burn's CubeCL backend, output channels-last or NCHW.
fn depthwise_bias_act(
    x: BurnTensor<4>,
    call: &DepthwiseCall,
    channels_last: bool,
) -> Result<BurnTensor<4>, BurnTensor<4>> {
    let dtype = x.dtype();
    let (Some(input), Some(weight), Some(bias)) = (
        cube_tensor(&x, dtype),
        cube_tensor(&call.weight, dtype),
        cube_tensor(&call.bias, dtype),
    ) else {
        DECLINED.fetch_add(1, Ordering::Relaxed);
        return Err(x);
    };
    let [n, c, _, _] = x.dims();
    let (silu, relu6) = match call.act {
        Some(Activation::Silu | Activation::SiluExp) => (true, false),
        Some(Activation::Relu6) => (false, true),
        None => (false, false),
    };
    let shape = if channels_last {
        [n, call.out_h, call.out_w, c]
    } else {
        [n, c, call.out_h, call.out_w]
    };
    let client = input.client.clone();
    let output = empty_device_dtype(
        client.clone(),
        input.device.clone(),
        Shape::new(shape),
        input.dtype,
    );
    let elements = n * call.out_h * call.out_w * c;
    let cube_dim = CubeDim::new(&client, elements);
    let cube_count = calculate_cube_count_elemwise(&client, elements, cube_dim);
    let dtype = dtype_to_storage_type(input.dtype);
    depthwise_kernel::launch(
        &client,
        cube_count,
        cube_dim,
        input.into_tensor_arg(),
        weight.into_tensor_arg(),
        bias.into_tensor_arg(),
        output.clone().into_tensor_arg(),
        call.pad_top as u32,
        call.pad_left as u32,
        call.kernel as u32,
        call.stride as u32,
        silu,
        relu6,
        channels_last,
        dtype,
    );
    LAUNCHED.fetch_add(1, Ordering::Relaxed);
    let output = BurnTensor::<4>::from_primitive::<Cube>(output);
    Ok(if channels_last {
        output.permute([0, 3, 1, 2])
    } else {
        output
    })
}
