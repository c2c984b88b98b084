//! Pillow's resampling of 8-bit images: separable filters with the support widened when
//! shrinking, 22-bit fixed-point weights, horizontal pass first, rounding to 8 bits between and
//! after the passes.

use super::{Interpolation, RgbImage};

/// Fractional bits of the fixed-point filter weights (Pillow's `PRECISION_BITS`): a sum is
/// brought back to 8 bits by `acc >> PRECISION_BITS` (the GPU kernels in `cube` shift by it too).
pub const PRECISION_BITS: u32 = 32 - 8 - 2;

/// The rounding offset Pillow starts each sum with.
pub const ROUNDING: i32 = 1 << (PRECISION_BITS - 1);

/// Fixed-point filter taps for one output coordinate: first input index and weights.
pub(crate) struct Taps {
    pub start: usize,
    pub weights: Vec<i32>,
}

pub(crate) fn taps(in_size: usize, out_size: usize, filter: Interpolation) -> Vec<Taps> {
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = filter.support() * filterscale;
    (0..out_size)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let raw: Vec<f64> = (xmin..xmax)
                .map(|x| filter.weight((x as f64 - center + 0.5) / filterscale))
                .collect();
            let total: f64 = raw.iter().sum();
            let weights = raw
                .iter()
                .map(|w| {
                    let w = if total != 0.0 { w / total } else { *w };
                    let fixed = w * (1u32 << PRECISION_BITS) as f64;
                    (if fixed < 0.0 {
                        fixed - 0.5
                    } else {
                        fixed + 0.5
                    }) as i32
                })
                .collect();
            Taps {
                start: xmin,
                weights,
            }
        })
        .collect()
}

pub(crate) fn clip8(acc: i64) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Pillow-compatible resampling of an 8-bit RGB image.
pub fn resample(image: &RgbImage, out_w: usize, out_h: usize, filter: Interpolation) -> RgbImage {
    let mut img = image.clone();
    if out_w != img.width {
        let taps = taps(img.width, out_w, filter);
        let mut data = vec![0u8; out_w * img.height * 3];
        for y in 0..img.height {
            let row = &img.data[y * img.width * 3..(y + 1) * img.width * 3];
            for (x, t) in taps.iter().enumerate() {
                for c in 0..3 {
                    let mut acc = ROUNDING as i64;
                    for (k, w) in t.weights.iter().enumerate() {
                        acc += row[(t.start + k) * 3 + c] as i64 * *w as i64;
                    }
                    data[(y * out_w + x) * 3 + c] = clip8(acc);
                }
            }
        }
        img = RgbImage {
            width: out_w,
            height: img.height,
            data,
        };
    }
    if out_h != img.height {
        let taps = taps(img.height, out_h, filter);
        let w = img.width;
        let mut data = vec![0u8; w * out_h * 3];
        for (y, t) in taps.iter().enumerate() {
            for x in 0..w * 3 {
                let mut acc = ROUNDING as i64;
                for (k, wt) in t.weights.iter().enumerate() {
                    acc += img.data[(t.start + k) * w * 3 + x] as i64 * *wt as i64;
                }
                data[y * w * 3 + x] = clip8(acc);
            }
        }
        img = RgbImage {
            width: w,
            height: out_h,
            data,
        };
    }
    img
}
