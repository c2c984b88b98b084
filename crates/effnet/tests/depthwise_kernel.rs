//! The contract of `DepthwiseImpl::Kernel`, the hook the page's WebGPU depthwise kernel plugs
//! into: a kernel written from the `DepthwiseCall` description alone (plain loops over host
//! memory, the same index arithmetic as the GPU kernel) must reproduce burn's grouped
//! convolution + bias + activation, for symmetric and TF-SAME padding, strides 1 and 2, 3×3 and
//! 5×5 kernels, and odd input sizes; a kernel that declines must leave the result unchanged.
//! The Flex CPU kernels (`model::flex_kernels`, what the CLI and the page's CPU path run) are held
//! to the same standard.

mod common;

use std::cell::Cell;

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use effnet::config::{Activation, EfficientNetConfig, Family, Padding};
use effnet::model::{DepthwiseCall, DepthwiseImpl, flex_kernels};

thread_local! {
    /// Kernel calls on this test's thread (tests run in parallel).
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

fn count_call() {
    CALLS.with(|c| c.set(c.get() + 1));
}

fn calls() -> usize {
    CALLS.with(Cell::get)
}

/// The Flex depthwise kernel, counted; it must take every call.
fn flex_kernel(x: Tensor<4>, call: &DepthwiseCall) -> Result<Tensor<4>, Tensor<4>> {
    let DepthwiseImpl::Kernel(kernel) = flex_kernels::DEPTHWISE else {
        unreachable!("a kernel")
    };
    count_call();
    let out = kernel(x, call);
    assert!(
        out.is_ok(),
        "the Flex kernel declined a {}×{} stride-{} call",
        call.kernel,
        call.kernel,
        call.stride
    );
    out
}

fn act(a: Option<Activation>, v: f32) -> f32 {
    match a {
        Some(Activation::Silu | Activation::SiluExp) => v / (1.0 + (-v).exp()),
        Some(Activation::Relu6) => v.clamp(0.0, 6.0),
        None => v,
    }
}

/// out[n, c, y, x] = act(bias[c] + Σ weight[c, 0, i, j] · in[n, c, y·s + i − top, x·s + j − left]).
fn host_kernel(x: Tensor<4>, call: &DepthwiseCall) -> Result<Tensor<4>, Tensor<4>> {
    count_call();
    let [n, c, h, w] = x.dims();
    let device = x.device();
    let input = x.into_data().try_to_vec::<f32>().unwrap();
    let weight = call.weight.clone().into_data().try_to_vec::<f32>().unwrap();
    let bias = call.bias.clone().into_data().try_to_vec::<f32>().unwrap();
    let (k, s, oh, ow) = (call.kernel, call.stride, call.out_h, call.out_w);
    let mut out = vec![0f32; n * c * oh * ow];
    for b in 0..n {
        for ch in 0..c {
            for y in 0..oh {
                for xo in 0..ow {
                    let mut sum = bias[ch];
                    for i in 0..k {
                        let iy = (y * s + i) as isize - call.pad_top as isize;
                        if iy < 0 || iy >= h as isize {
                            continue;
                        }
                        for j in 0..k {
                            let ix = (xo * s + j) as isize - call.pad_left as isize;
                            if ix < 0 || ix >= w as isize {
                                continue;
                            }
                            let v = input[((b * c + ch) * h + iy as usize) * w + ix as usize];
                            sum += v * weight[(ch * k + i) * k + j];
                        }
                    }
                    out[((b * c + ch) * oh + y) * ow + xo] = act(call.act, sum);
                }
            }
        }
    }
    Ok(Tensor::from_data(
        TensorData::new(out, [n, c, oh, ow]),
        &device,
    ))
}

fn declining_kernel(x: Tensor<4>, _: &DepthwiseCall) -> Result<Tensor<4>, Tensor<4>> {
    Err(x)
}

fn logits(model: &effnet::EfficientNet, x: &Tensor<4>) -> Vec<f32> {
    model
        .forward(x.clone())
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
}

fn check(padding: Padding, family: Family, size: [usize; 2]) {
    let device = Device::default();
    let config = EfficientNetConfig::new("kernel-test".into(), family, 0.5, 0.5, size[0], 0.2)
        .with_num_classes(10)
        .with_padding(padding);
    let model = config
        .init(&device)
        .map(&mut common::Perturb)
        .fold_batch_norms();
    let depthwise_layers = model
        .blocks
        .iter()
        .filter(|b| b.depthwise.is_depthwise())
        .count();
    let x = Tensor::<4>::random(
        [2, 3, size[0], size[1]],
        Distribution::Normal(0.0, 1.0),
        &device,
    );

    let expected = logits(&model, &x);
    let scale = expected.iter().fold(1f32, |m, v| m.max(v.abs()));

    for (name, kernel) in [
        ("host", host_kernel as effnet::model::DepthwiseKernel),
        ("flex", flex_kernel),
    ] {
        let with_kernel = model.clone().with_depthwise(DepthwiseImpl::Kernel(kernel));
        let with_kernel = if name == "flex" {
            with_kernel.with_activation_kernel(Some(flex_kernels::ACTIVATION))
        } else {
            with_kernel
        };
        let before = calls();
        let got = logits(&with_kernel, &x);
        assert_eq!(
            calls() - before,
            depthwise_layers,
            "{name}: the kernel ran once per depthwise layer"
        );
        let max = got
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            max <= 1e-4 * scale,
            "{name} {padding:?} {size:?}: max |Δlogit| {max} (scale {scale})"
        );
    }

    let model = model.with_depthwise(DepthwiseImpl::Kernel(host_kernel));

    let declined = logits(
        &model.with_depthwise(DepthwiseImpl::Kernel(declining_kernel)),
        &x,
    );
    assert_eq!(
        declined, expected,
        "a declining kernel falls back to the grouped convolution"
    );
}

#[test]
fn host_kernel_matches_grouped_convolution_symmetric_padding() {
    check(Padding::Symmetric, Family::B, [64, 61]);
}

#[test]
fn host_kernel_matches_grouped_convolution_tf_same_padding() {
    check(Padding::TfSame, Family::Lite, [67, 64]);
}

#[test]
fn unfolded_layers_never_call_the_kernel() {
    let device = Device::default();
    let config = EfficientNetConfig::new("kernel-test".into(), Family::B, 0.25, 0.25, 32, 0.2)
        .with_num_classes(3);
    let model = config
        .init(&device)
        .with_depthwise(DepthwiseImpl::Kernel(host_kernel));
    let x = Tensor::<4>::random([1, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
    let call = model.blocks[0].depthwise.depthwise_call(&x);
    assert!(
        call.is_none(),
        "a layer with its batch norm still separate gets no kernel call"
    );
}
