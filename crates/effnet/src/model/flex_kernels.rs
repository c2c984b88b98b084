//! Kernels for burn's Flex CPU backend, plugged in through [`DepthwiseImpl::Kernel`] and
//! [`ActivationKernel`]: a depthwise convolution with bias and activation in one pass over each
//! channel plane, and SiLU / ReLU6 in place with an exponential the compiler can vectorise.
//!
//! Flex runs a grouped convolution as a direct convolution and SiLU as four element-wise passes,
//! each through libm's scalar `expf` (together ~45% of B0's time on one thread). Both kernels
//! decline (burn's operations run instead) for tensors that are not f32 Flex tensors, so a
//! network using them still runs on any backend.

use burn::backend::Flex;
use burn::backend::flex::FlexTensor;
use burn::tensor::{DType, Tensor, TensorData};

use super::layers::{ActivationKernel, DepthwiseCall, DepthwiseImpl};
use crate::config::Activation;

/// The depthwise kernel as [`super::EfficientNet::with_depthwise`] takes it.
pub const DEPTHWISE: DepthwiseImpl = DepthwiseImpl::Kernel(depthwise);

/// The activation kernel as [`super::EfficientNet::with_activation_kernel`] takes it.
pub const ACTIVATION: ActivationKernel = activation;

/// The Flex tensor behind `t` with contiguous f32 values (copied only when `t` is strided);
/// `t` back when it is not an f32 Flex tensor.
fn flex_f32<const D: usize>(t: Tensor<D>) -> Result<FlexTensor, Tensor<D>> {
    if t.dtype() != DType::F32 {
        return Err(t);
    }
    match t.clone().try_into_primitive::<Flex>() {
        Ok(flex) if flex.as_slice::<f32>().is_some() => Ok(flex),
        Ok(flex) => Ok(flex.to_contiguous()),
        Err(_) => Err(t),
    }
}

fn values(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("contiguous f32 (checked by flex_f32)")
}

/// `e^x` for `x` in about [−87, 88] (clamped outside), within 4 ulp of libm (unit test): 2^n · p(r) with
/// `x = n·ln 2 + r`, |r| ≤ ln 2 / 2, p a degree-7 Taylor polynomial. No branches, no calls, so
/// loops over it vectorise.
#[inline(always)]
fn exp_approx(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23: adding and subtracting it rounds to an integer
    let x = x.clamp(-87.0, 88.0);
    let t = x * std::f32::consts::LOG2_E + ROUND;
    let n = t - ROUND;
    // t's low mantissa bits hold n: 2^n's exponent field without a float-to-int conversion.
    let scale = f32::from_bits(
        (t.to_bits().wrapping_sub(ROUND.to_bits()) as i32 + 127).wrapping_shl(23) as u32,
    );
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    p * scale
}

/// Where the vector width is chosen: in WebAssembly the loops vectorise only where SIMD is
/// enabled (every browser with WebGPU runs wasm SIMD; the page switches gemm's SIMD kernels on
/// too); on x86-64, whose baseline is SSE2, a second copy compiled for AVX2 runs where the CPU
/// has it. Both copies do the same operations in the same order (no fused multiply-adds are
/// formed), so they give the same bits.
macro_rules! wide {
    ($(#[$doc:meta])* fn $name:ident $(<$(const $c:ident: usize),*>)? ($($arg:ident: $ty:ty),*) => $body:ident) => {
        $(#[$doc])*
        #[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
        fn $name $(<$(const $c: usize),*>)? ($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                fn avx2 $(<$(const $c: usize),*>)? ($($arg: $ty),*) {
                    $body $(::<$($c),*>)? ($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2, the only feature `avx2` was compiled for.
                    return unsafe { avx2 $(::<$($c),*>)? ($($arg),*) };
                }
            }
            $body $(::<$($c),*>)? ($($arg),*)
        }
    };
}

wide! {
    /// SiLU or ReLU6 over `values`, in place.
    fn activate_in_place(act: Activation, values: &mut [f32]) => activate_body
}

#[inline(always)]
fn activate_body(act: Activation, values: &mut [f32]) {
    match act {
        Activation::Silu | Activation::SiluExp => {
            for v in values.iter_mut() {
                *v /= 1.0 + exp_approx(-*v);
            }
        }
        Activation::Relu6 => {
            for v in values.iter_mut() {
                *v = v.clamp(0.0, 6.0);
            }
        }
    }
}

/// [`ActivationKernel`] on Flex: in place when nothing else holds the tensor's buffer.
fn activation(x: Tensor<4>, act: Activation) -> Result<Tensor<4>, Tensor<4>> {
    let shape = x.shape();
    let mut flex = flex_f32(x)?;
    let out = match flex.try_storage_mut::<f32>() {
        Some(storage) if storage.len() == shape.num_elements() => {
            activate_in_place(act, storage);
            flex
        }
        _ => {
            let mut data = values(&flex).to_vec();
            activate_in_place(act, &mut data);
            FlexTensor::from_data(TensorData::new(data, shape))
        }
    };
    Ok(Tensor::from_primitive::<Flex>(out))
}

/// [`super::DepthwiseKernel`] on Flex (3×3 and 5×5 kernels, strides 1 and 2: what EfficientNet
/// uses; anything else declines).
fn depthwise(x: Tensor<4>, call: &DepthwiseCall) -> Result<Tensor<4>, Tensor<4>> {
    let plane: PlaneFn = match (call.kernel, call.stride) {
        (3, 1) => plane::<3, 1>,
        (3, 2) => plane::<3, 2>,
        (5, 1) => plane::<5, 1>,
        (5, 2) => plane::<5, 2>,
        _ => return Err(x),
    };
    let [n, c, h, w] = x.dims();
    let (Ok(weight), Ok(bias)) = (flex_f32(call.weight.clone()), flex_f32(call.bias.clone()))
    else {
        return Err(x);
    };
    let input = flex_f32(x)?;
    let (input, weight, bias) = (values(&input), values(&weight), values(&bias));
    let k = call.kernel;
    let g = Geometry {
        h,
        w,
        top: call.pad_top,
        left: call.pad_left,
        out_h: call.out_h,
        out_w: call.out_w,
        padded_h: (call.out_h - 1) * call.stride + k,
        padded_w: (call.out_w.div_ceil(LANES) * LANES - 1) * call.stride + k,
    };
    let mut out = vec![0.0f32; n * c * g.out_h * g.out_w];
    let mut padded = vec![0.0f32; g.padded_h * g.padded_w];
    for (index, out_plane) in out.chunks_exact_mut(g.out_h * g.out_w).enumerate() {
        let ch = index % c;
        out_plane.fill(bias[ch]);
        let in_plane = &input[index * h * w..(index + 1) * h * w];
        plane(
            out_plane,
            in_plane,
            &weight[ch * k * k..(ch + 1) * k * k],
            &mut padded,
            &g,
        );
        if let Some(act) = call.act {
            activate_in_place(act, out_plane);
        }
    }
    let out = FlexTensor::from_data(TensorData::new(out, [n, c, g.out_h, g.out_w]));
    Ok(Tensor::from_primitive::<Flex>(out))
}

/// Sizes of one channel plane: input, zero padding before, output, and the padded input the
/// output reads (`(out − 1) · stride + k` each way).
struct Geometry {
    h: usize,
    w: usize,
    top: usize,
    left: usize,
    out_h: usize,
    out_w: usize,
    padded_h: usize,
    padded_w: usize,
}

/// One channel's depthwise convolution: output (holding the bias), input, taps, padding scratch.
type PlaneFn = fn(&mut [f32], &[f32], &[f32], &mut [f32], &Geometry);

/// Output values computed together, in registers.
const LANES: usize = 8;

/// Adds one channel's `K × K` convolution to `out` (which holds the bias), for strides 1 and 2.
/// The input is first copied into the zero-padded `padded` (wide enough for whole groups of
/// [`LANES`] outputs; at stride 2 with each row's even and odd columns apart), so the inner
/// loops have no bounds to test; each group of outputs sums its K² taps in registers.
fn plane<const K: usize, const S: usize>(
    out: &mut [f32],
    input: &[f32],
    taps: &[f32],
    padded: &mut [f32],
    g: &Geometry,
) {
    plane_wide::<K, S>(out, input, taps, padded, g)
}

wide! {
    /// [`plane`] at the widest vectors the CPU has.
    fn plane_wide<const K: usize, const S: usize>(out: &mut [f32], input: &[f32], taps: &[f32], padded: &mut [f32], g: &Geometry) => plane_body
}

#[inline(always)]
fn plane_body<const K: usize, const S: usize>(
    out: &mut [f32],
    input: &[f32],
    taps: &[f32],
    padded: &mut [f32],
    g: &Geometry,
) {
    padded.fill(0.0);
    let rows = g.h.min(g.padded_h.saturating_sub(g.top));
    let cols = g.w.min(g.padded_w.saturating_sub(g.left));
    // Stride 2: each padded row holds its even columns, then its odd ones, so that a tap's
    // inputs for consecutive outputs are consecutive floats (whole vector loads, no gathers).
    let half = g.padded_w.div_ceil(2);
    for y in 0..rows {
        let row = &mut padded[(y + g.top) * g.padded_w..][..g.padded_w];
        let src = &input[y * g.w..y * g.w + cols];
        if S == 1 {
            row[g.left..g.left + cols].copy_from_slice(src);
        } else {
            // Input column x lands on padded column x + left: even when x ≡ left (mod 2).
            let first = g.left % 2;
            let (even, odd) = row.split_at_mut(half);
            let even = &mut even[(g.left + first) / 2..];
            for (e, &v) in even.iter_mut().zip(src.iter().skip(first).step_by(2)) {
                *e = v;
            }
            let odd = &mut odd[(g.left + 1 - first) / 2..];
            for (o, &v) in odd.iter_mut().zip(src.iter().skip(1 - first).step_by(2)) {
                *o = v;
            }
        }
    }
    let taps = &taps[..K * K];
    for (y, out_row) in out.chunks_exact_mut(g.out_w).enumerate() {
        let window = &padded[y * S * g.padded_w..(y * S + K) * g.padded_w];
        for x0 in (0..g.out_w).step_by(LANES) {
            let mut acc = [0.0f32; LANES];
            for i in 0..K {
                let line = &window[i * g.padded_w..][..g.padded_w];
                for j in 0..K {
                    let tap = taps[i * K + j];
                    let start = if S == 1 {
                        x0 + j
                    } else {
                        (j % 2) * half + x0 + j / 2
                    };
                    for (a, &v) in acc.iter_mut().zip(&line[start..start + LANES]) {
                        *a += tap * v;
                    }
                }
            }
            for (o, a) in out_row[x0..].iter_mut().zip(acc) {
                *o += a;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1 << 24) as f32 * 20.0 - 10.0
            })
            .collect()
    }

    /// The wide copies (AVX2 on x86-64 CPUs that have it) give the baseline copies' bits.
    #[test]
    fn wide_copies_compute_the_same_bits() {
        for act in [Activation::Silu, Activation::Relu6] {
            let mut wide = noise(1003, 7);
            let mut base = wide.clone();
            activate_in_place(act, &mut wide);
            activate_body(act, &mut base);
            assert!(
                wide.iter()
                    .zip(&base)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{act:?}"
            );
        }
        let (h, w) = (13, 17);
        let g = Geometry {
            h,
            w,
            top: 1,
            left: 1,
            out_h: 7,
            out_w: 9,
            padded_h: 6 * 2 + 3,
            padded_w: (16 - 1) * 2 + 3,
        };
        let (input, taps) = (noise(h * w, 3), noise(9, 5));
        let (mut wide, mut base) = (vec![0.5; 63], vec![0.5; 63]);
        plane::<3, 2>(
            &mut wide,
            &input,
            &taps,
            &mut vec![0.0; g.padded_h * g.padded_w],
            &g,
        );
        plane_body::<3, 2>(
            &mut base,
            &input,
            &taps,
            &mut vec![0.0; g.padded_h * g.padded_w],
            &g,
        );
        assert!(
            wide.iter()
                .zip(&base)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
        assert!(wide.iter().any(|&v| v != 0.5), "the plane was computed");
    }

    /// `bias + Σ_(i,j) tap · in` in the kernel's order, reads outside the input being zero.
    fn plane_reference(k: usize, s: usize, input: &[f32], taps: &[f32], g: &Geometry) -> Vec<f32> {
        let mut out = Vec::new();
        for y in 0..g.out_h {
            for x in 0..g.out_w {
                let mut acc = 0.0f32;
                for i in 0..k {
                    for j in 0..k {
                        let (iy, ix) = ((y * s + i) as isize, (x * s + j) as isize);
                        let (iy, ix) = (iy - g.top as isize, ix - g.left as isize);
                        let inside =
                            (0..g.h as isize).contains(&iy) && (0..g.w as isize).contains(&ix);
                        let v = if inside {
                            input[iy as usize * g.w + ix as usize]
                        } else {
                            0.0
                        };
                        acc += taps[i * k + j] * v;
                    }
                }
                out.push(0.25 + acc);
            }
        }
        out
    }

    /// Both strides, both kernel sizes, even and odd padding and sizes: the planes give the
    /// reference's bits (same sums in the same order).
    #[test]
    fn planes_match_a_direct_reading_bit_for_bit() {
        for (k, s) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
            for (h, w) in [(13, 17), (16, 16), (9, 30)] {
                for (top, left) in [(0, 0), (1, 1), (2, 2), (1, 0), (0, 1)] {
                    let (out_h, out_w) = ((h + 2 * top - k) / s + 1, (w + 2 * left - k) / s + 1);
                    let g = Geometry {
                        h,
                        w,
                        top,
                        left,
                        out_h,
                        out_w,
                        padded_h: (out_h - 1) * s + k,
                        padded_w: (out_w.div_ceil(LANES) * LANES - 1) * s + k,
                    };
                    let (input, taps) = (noise(h * w, 11), noise(k * k, 13));
                    let mut out = vec![0.25; out_h * out_w];
                    let mut padded = vec![0.0; g.padded_h * g.padded_w];
                    let plane: PlaneFn = match (k, s) {
                        (3, 1) => plane::<3, 1>,
                        (3, 2) => plane::<3, 2>,
                        (5, 1) => plane::<5, 1>,
                        _ => plane::<5, 2>,
                    };
                    plane(&mut out, &input, &taps, &mut padded, &g);
                    let want = plane_reference(k, s, &input, &taps, &g);
                    let same = out
                        .iter()
                        .zip(&want)
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(same, "k {k} s {s} {h}×{w} pad {top},{left}");
                }
            }
        }
    }

    #[test]
    fn exp_approx_is_within_a_few_ulp_of_libm() {
        let mut worst = 0.0f32;
        for i in -87_000..=88_000 {
            let x = i as f32 / 1000.0;
            let (got, want) = (exp_approx(x), x.exp());
            worst = worst.max(((got - want) / want).abs());
        }
        assert!(worst < 4.0 * f32::EPSILON, "worst relative error {worst:e}");
        assert_eq!(exp_approx(-1000.0), exp_approx(-87.0));
        assert_eq!(exp_approx(1000.0), exp_approx(88.0));
        assert!(exp_approx(88.0).is_finite());
    }
}
