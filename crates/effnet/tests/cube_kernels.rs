//! The CubeCL kernels of `effnet::cube` run for real, on burn's wgpu runtime (on a machine
//! without a GPU: Mesa's lavapipe Vulkan, which scripts/test_kernels.sh installs):
//!
//! - the depthwise kernel against burn's own grouped `conv2d` + bias + activation (burn's
//!   operations on the same device), for 3×3 and 5×5 kernels, strides 1 and 2, symmetric and
//!   TF-SAME padding, SiLU (both forms), ReLU6 and no activation, channels-last and NCHW
//!   output: `|Δ| ≤ 1e-4 · max(1, |expected|)` everywhere; and in a whole (small) network;
//! - a network computing in f16 (where the adapter has shader-f16) against the same in f32,
//!   within the f16 tolerance;
//! - the preprocessing kernels against `Preprocessing::apply` on the CPU: the network's input
//!   and the 8-bit crop bit for bit, for several photo sizes and aspect ratios and the
//!   preprocessing of several variants (224 to 600 pixels, bicubic and bilinear, both crop
//!   rules), including a second frame of the same size (the plan's buffers reused).
//!
//! Built only with the `cube` feature (`required-features` in Cargo.toml). Run with
//! `--nocapture` to see the adapter and each case's numbers.

mod common;

use std::sync::OnceLock;
use std::time::Instant;

use burn::module::Module;
use burn::tensor::activation::{relu6, silu};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Distribution, Tensor};
use effnet::config::{Activation, EfficientNetConfig, Family, Padding, Variant};
use effnet::cube::{depthwise, preprocess as gpu_preprocess};
use effnet::model::{DepthwiseCall, DepthwiseImpl};
use effnet::preprocess::{Preprocessing, RgbImage};
use effnet::weights::Source;

/// The wgpu device, initialised once for all tests (they share one runtime).
fn device() -> Device {
    static DEVICE: OnceLock<Device> = OnceLock::new();
    DEVICE
        .get_or_init(|| {
            let (device, setup) = Device::wgpu_options()
                .init_with_setup()
                .expect("no wgpu adapter: install a Vulkan driver (scripts/test_kernels.sh)");
            let info = setup.adapter.get_info();
            eprintln!(
                "wgpu adapter: {} ({:?}, {:?}, driver {} {})",
                info.name, info.device_type, setup.backend, info.driver, info.driver_info
            );
            device
        })
        .clone()
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// One depthwise layer's shape.
#[derive(Debug, Clone, Copy)]
struct Case {
    batch: usize,
    channels: usize,
    height: usize,
    width: usize,
    kernel: usize,
    stride: usize,
    padding: Padding,
}

/// Zero padding `[(top, bottom), (left, right)]` and output size `(out_h, out_w)`.
type Geometry = ([(usize, usize); 2], (usize, usize));

/// The padding and output size the model computes: output `ceil(in / stride)`; symmetric
/// `(k − 1) / 2` before, TF-SAME half the total before.
fn geometry(c: &Case) -> Geometry {
    let (k, s) = (c.kernel, c.stride);
    let pads = |size: usize| {
        let out = size.div_ceil(s);
        let total = ((out - 1) * s + k).saturating_sub(size);
        let before = match c.padding {
            Padding::Symmetric => (k - 1) / 2,
            Padding::TfSame => total / 2,
        };
        ((before, total.saturating_sub(before)), out)
    };
    let ((v, out_h), (h, out_w)) = (pads(c.height), pads(c.width));
    ([v, h], (out_h, out_w))
}

fn reference(x: Tensor<4>, call: &DepthwiseCall, pads: [(usize, usize); 2]) -> Tensor<4> {
    let channels = x.dims()[1];
    let out = conv2d(
        x,
        call.weight.clone(),
        Some(call.bias.clone()),
        ConvOptions::new_with_padding([call.stride; 2], pads, [1, 1], channels),
    );
    match call.act {
        Some(Activation::Silu) => silu(out),
        Some(Activation::SiluExp) => out.clone() / (out.neg().exp() + 1.0),
        Some(Activation::Relu6) => relu6(out),
        None => out,
    }
}

/// Runs every activation and both layouts on `case`; returns the largest `|Δ|`.
fn check_depthwise(case: Case) -> f32 {
    let device = device();
    let Case {
        batch: n,
        channels: c,
        height: h,
        width: w,
        kernel: k,
        stride: s,
        ..
    } = case;
    let (pads, (out_h, out_w)) = geometry(&case);
    let x = Tensor::<4>::random([n, c, h, w], Distribution::Normal(0.0, 2.0), &device);
    let weight = Tensor::<4>::random([c, 1, k, k], Distribution::Normal(0.0, 0.5), &device);
    let bias = Tensor::<1>::random([c], Distribution::Normal(0.0, 1.0), &device);
    let mut worst = 0f32;
    for act in [
        Some(Activation::Silu),
        Some(Activation::SiluExp),
        Some(Activation::Relu6),
        None,
    ] {
        let call = DepthwiseCall {
            weight: weight.clone(),
            bias: bias.clone(),
            kernel: k,
            stride: s,
            pad_top: pads[0].0,
            pad_left: pads[1].0,
            out_h,
            out_w,
            act,
        };
        let expected = reference(x.clone(), &call, pads);
        assert_eq!(expected.dims(), [n, c, out_h, out_w]);
        let expected = to_vec(expected);
        // Not a vacuous comparison: values of all sizes, not all clamped or zero.
        let largest = expected.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(
            largest > 1.0,
            "{case:?} {act:?}: largest |expected| {largest}"
        );
        for (layout, kernel) in [
            ("channels-last", depthwise::KERNEL),
            ("nchw", depthwise::KERNEL_NCHW),
        ] {
            let DepthwiseImpl::Kernel(kernel) = kernel else {
                unreachable!("a kernel")
            };
            let (launched, _) = depthwise::counts();
            let got = kernel(x.clone(), &call).expect("f32 tensors on wgpu: the kernel runs");
            assert!(depthwise::counts().0 > launched, "counted as launched");
            assert_eq!(got.dims(), [n, c, out_h, out_w], "{layout}");
            let got = to_vec(got);
            let mut max = 0f32;
            for (i, (a, b)) in got.iter().zip(&expected).enumerate() {
                let d = (a - b).abs();
                assert!(
                    d <= 1e-4 * b.abs().max(1.0),
                    "{case:?} {act:?} {layout}: element {i}: {a} vs {b}"
                );
                max = max.max(d);
            }
            eprintln!(
                "depthwise {n}×{c}×{h}×{w} k{k} s{s} {:?} {act:?} {layout}: max |Δ| {max:.3e}",
                case.padding
            );
            worst = worst.max(max);
        }
    }
    worst
}

#[test]
fn depthwise_kernel_matches_burns_grouped_convolution() {
    let start = Instant::now();
    let cases = [
        (1, 16, 14, 14, 3, 1, Padding::Symmetric),
        (2, 24, 17, 15, 3, 2, Padding::TfSame),
        (1, 32, 16, 16, 3, 2, Padding::Symmetric),
        (1, 40, 28, 28, 5, 1, Padding::Symmetric),
        (2, 20, 19, 23, 5, 2, Padding::TfSame),
        (1, 48, 15, 15, 5, 2, Padding::Symmetric),
        (1, 12, 9, 9, 5, 1, Padding::TfSame),
        // Smaller than the kernel: most taps fall in the padding.
        (1, 8, 2, 3, 5, 2, Padding::TfSame),
    ];
    let mut worst = 0f32;
    for (batch, channels, height, width, kernel, stride, padding) in cases {
        worst = worst.max(check_depthwise(Case {
            batch,
            channels,
            height,
            width,
            kernel,
            stride,
            padding,
        }));
    }
    eprintln!(
        "depthwise: {} cases × 4 activations × 2 layouts, max |Δ| {worst:.3e}, {:.1} s",
        cases.len(),
        start.elapsed().as_secs_f64()
    );
}

/// The kernel plugged into a (small, random) network through `DepthwiseImpl::Kernel`: the
/// next layers read its channels-last output as the NCHW view it hands back.
/// `model`'s depthwise layers, a random input, the logits on it and their scale
/// `max(1, |logit|)`.
fn run_once(
    model: &effnet::EfficientNet,
    size: usize,
    device: &Device,
) -> (usize, Tensor<4>, Vec<f32>, f32) {
    let layers = model
        .blocks
        .iter()
        .filter(|b| b.depthwise.is_depthwise())
        .count();
    let x = Tensor::<4>::random([1, 3, size, size], Distribution::Normal(0.0, 1.0), device);
    let expected = to_vec(model.forward(x.clone()));
    let scale = expected.iter().fold(1f32, |m, v| m.max(v.abs()));
    (layers, x, expected, scale)
}

#[test]
fn depthwise_kernel_in_a_network_matches_grouped_convolution() {
    let start = Instant::now();
    let device = device();
    for (family, padding, size) in [
        (Family::B, Padding::Symmetric, 40),
        (Family::Lite, Padding::TfSame, 37),
    ] {
        let config = EfficientNetConfig::new("cube-test".into(), family, 0.25, 0.25, size, 0.2)
            .with_num_classes(10)
            .with_padding(padding);
        let model = config
            .init(&device)
            .map(&mut common::Perturb)
            .fold_batch_norms();
        let (layers, x, expected, scale) = run_once(&model, size, &device);
        for (layout, kernel) in [
            ("channels-last", depthwise::KERNEL),
            ("nchw", depthwise::KERNEL_NCHW),
        ] {
            let (launched, _) = depthwise::counts();
            let got = to_vec(model.clone().with_depthwise(kernel).forward(x.clone()));
            // Other tests launch it too, concurrently: at least one launch per layer.
            assert!(depthwise::counts().0 - launched >= layers as u32);
            let max = got
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            eprintln!(
                "network {family:?} {padding:?} {size}×{size}, {layers} depthwise layers, \
                 {layout}: max |Δlogit| {max:.3e} (scale max(1, |logit|) {scale:.3})"
            );
            assert!(max <= 1e-4 * scale, "{layout}: max |Δlogit| {max}");
        }
    }
    eprintln!("network: {:.1} s", start.elapsed().as_secs_f64());
}

/// The network as the page runs it on WebGPU (`for_gpu`: our depthwise kernel), computing in
/// f16 against the same network in f32, on an adapter with shader-f16 (lavapipe has it): the
/// kernel runs in f16 too (launched, not declined), logits within the f16 tolerance
/// `|Δ| ≤ 5e-3 · max(1, |logit|)` (measured 2026-12-02 on lavapipe: 8.3e-4 and 1.1e-3 at
/// scales 1.2 and 1.4), and the same top-1 class.
#[test]
fn a_network_in_f16_stays_within_the_f16_tolerance() {
    use burn::tensor::DType;
    let device = device();
    assert!(
        device.supports_dtype(DType::F16),
        "this adapter computes no f16 (no shader-f16): the f16 path cannot be checked here"
    );
    for (family, padding, size) in [
        (Family::B, Padding::Symmetric, 64),
        (Family::Lite, Padding::TfSame, 61),
    ] {
        let config = EfficientNetConfig::new("cube-f16".into(), family, 0.5, 0.5, size, 0.2)
            .with_num_classes(100)
            .with_padding(padding);
        let model = config.init(&device).map(&mut common::Perturb).for_gpu();
        let (layers, x, expected, scale) = run_once(&model, size, &device);
        let half = model.with_dtype(DType::F16);
        assert_eq!(half.dtype(), DType::F16);
        let (launched, declined) = depthwise::counts();
        let out = half.forward(x);
        assert_eq!(out.dtype(), DType::F32, "logits come back in f32");
        let got = to_vec(out);
        let (launched_now, declined_now) = depthwise::counts();
        assert!(
            launched_now - launched >= layers as u32,
            "the kernel ran in f16"
        );
        assert_eq!(declined_now, declined, "no depthwise layer fell back");
        let max = got
            .iter()
            .zip(&expected)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        let argmax = |v: &[f32]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
        eprintln!(
            "f16 network {family:?} {padding:?} {size}×{size}: max |Δlogit| {max:.3e} \
             (scale max(1, |logit|) {scale:.3})"
        );
        assert!(max <= 5e-3 * scale, "max |Δlogit| {max}");
        assert_eq!(argmax(&got), argmax(&expected), "top-1");
    }
}

/// A tensor on another backend is handed back untouched (and counted as declined).
#[cfg(feature = "flex")]
#[test]
fn depthwise_kernel_declines_other_backends() {
    let device = Device::flex();
    let x = Tensor::<4>::ones([1, 2, 4, 4], &device);
    let call = DepthwiseCall {
        weight: Tensor::ones([2, 1, 3, 3], &device),
        bias: Tensor::zeros([2], &device),
        kernel: 3,
        stride: 1,
        pad_top: 1,
        pad_left: 1,
        out_h: 4,
        out_w: 4,
        act: None,
    };
    let DepthwiseImpl::Kernel(kernel) = depthwise::KERNEL else {
        unreachable!("a kernel")
    };
    let (_, declined) = depthwise::counts();
    let back = kernel(x, &call).expect_err("a Flex tensor is declined");
    assert_eq!(back.dims(), [1, 2, 4, 4]);
    assert!(depthwise::counts().1 > declined);
}

/// A photo-like image: smooth gradients plus noise (every byte value, sharp and flat areas).
fn photo(w: usize, h: usize, seed: u64) -> RgbImage {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut data = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let noise = (s >> 58) as usize; // 0..64
                let smooth = match c {
                    0 => x * 255 / w.max(2),
                    1 => y * 255 / h.max(2),
                    _ => (x + y) * 127 / (w + h),
                };
                // Every few rows, pure noise (extreme values: clipping at 0 and 255).
                let v = if (y / 16) % 5 == 3 {
                    (s >> 56) as usize
                } else {
                    (smooth + noise).min(255)
                };
                data.push(v as u8);
            }
        }
    }
    RgbImage::new(w, h, data).unwrap()
}

/// Runs the GPU preprocessing of `image`; `None` when it declines. Returns the differing
/// input values and crop bytes against the CPU.
fn compare_preprocessing(p: &Preprocessing, image: &RgbImage) -> Option<(usize, usize)> {
    let device = device();
    let runs = gpu_preprocess::runs();
    let (input, crop) = gpu_preprocess::prepare(p, image, &device)?;
    assert!(gpu_preprocess::runs() > runs, "counted");
    assert_eq!(input.dims(), [1, 3, p.size, p.size]);
    let input = to_vec(input);
    let crop = cubecl::future::block_on(gpu_preprocess::read_crop(crop, p.size)).unwrap();
    let (expected_input, expected_crop) = p.apply(image);
    let input_diffs = input
        .iter()
        .zip(&expected_input)
        .filter(|(a, b)| a.to_bits() != b.to_bits())
        .count();
    assert_eq!((crop.width, crop.height), (p.size, p.size));
    let crop_diffs = crop
        .data
        .iter()
        .zip(&expected_crop.data)
        .filter(|(a, b)| a != b)
        .count();
    Some((input_diffs, crop_diffs))
}

#[test]
fn preprocessing_kernels_match_the_cpu_bit_for_bit() {
    let start = Instant::now();
    let variants = [
        Variant::B0,    // 224, short side 256, bicubic
        Variant::B1,    // 240, short side 255, bilinear
        Variant::B7,    // 600, short side 600, bicubic
        Variant::Lite0, // 224, centre 224/256 of the short side, bicubic
        Variant::Lite4, // 300, centre 300/332
    ];
    // Landscape, portrait, square, very wide and tall, odd sides, near the input size, a small
    // one (enlarged) and a phone-sized one.
    let sizes = [
        (640, 480),
        (480, 640),
        (300, 300),
        (1000, 333),
        (301, 1203),
        (257, 256),
        (601, 799),
        (150, 100),
        (2016, 1512),
    ];
    let mut compared = 0;
    for (i, variant) in variants.into_iter().enumerate() {
        let p = Source::preset_preprocessing(variant);
        for (j, &(w, h)) in sizes.iter().enumerate() {
            // Two frames of one size: the second reuses the plan's buffers on the GPU.
            for frame in 0..2 {
                let image = photo(w, h, (i * 100 + j * 10 + frame) as u64);
                let (input_diffs, crop_diffs) = compare_preprocessing(&p, &image)
                    .unwrap_or_else(|| panic!("{variant:?} {w}×{h}: declined"));
                eprintln!(
                    "preprocess {variant:?} ({} px, {:?}, {:?}) {w}×{h} frame {frame}: \
                     {input_diffs} input values and {crop_diffs} crop bytes differ",
                    p.size, p.resize, p.interpolation
                );
                assert_eq!(
                    (input_diffs, crop_diffs),
                    (0, 0),
                    "{variant:?} {w}×{h} frame {frame}: input values and crop bytes that differ"
                );
                compared += 1;
            }
        }
    }
    eprintln!(
        "preprocess: {compared} inputs bit-exact, {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

/// Where Pillow would resample twice (short side scaled below the input size) there is no plan,
/// and the GPU declines: the CPU prepares those.
#[test]
fn preprocessing_declines_without_a_single_pass_plan() {
    let p = Preprocessing::imagenet(64, 48, effnet::preprocess::Interpolation::Bicubic);
    let image = photo(100, 80, 7);
    assert!(p.plan(100, 80).is_none());
    assert!(gpu_preprocess::prepare(&p, &image, &device()).is_none());
}
