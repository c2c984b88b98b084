//! The crop as a plan: for each column and each row of the network's `size × size` crop, which
//! source pixels it is made from and with which fixed-point weights.
//!
//! Executing a plan does Pillow's arithmetic (see [`super::resample`]) for exactly the output
//! pixels that survive the centre crop, so it gives the same bytes as resampling the whole image
//! and cropping, with less work. The CPU runs it in [`CropPlan::execute`]; the page's WebGPU
//! kernel runs the same two passes on the GPU from the same numbers.

use super::resample::{ROUNDING, clip8, taps};
use super::{Interpolation, RgbImage};

/// One pass's taps, zero-padded to the same count for every output.
#[derive(Debug, Clone, PartialEq)]
pub struct PaddedTaps {
    /// First source index of each output, in source pixels (the crop offset included).
    pub starts: Vec<u32>,
    /// `taps` weights per output (22-bit fixed point): output `i`'s are
    /// `weights[i * taps..(i + 1) * taps]`; the padding weights are 0.
    pub weights: Vec<i32>,
    pub taps: usize,
    /// One past the last source index a real tap reads; padding taps are clamped below it.
    pub limit: usize,
}

impl PaddedTaps {
    /// Taps resampling `in_size` to `out_size`, keeping outputs `first..first + count` and
    /// shifting source indices by `offset`.
    fn new(
        in_size: usize,
        out_size: usize,
        filter: Interpolation,
        first: usize,
        count: usize,
        offset: usize,
    ) -> Self {
        let all = taps(in_size, out_size, filter);
        let kept = &all[first..first + count];
        let n = kept
            .iter()
            .map(|t| t.weights.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut starts = Vec::with_capacity(count);
        let mut weights = vec![0; count * n];
        for (i, t) in kept.iter().enumerate() {
            starts.push((offset + t.start) as u32);
            weights[i * n..i * n + t.weights.len()].copy_from_slice(&t.weights);
        }
        let limit = offset
            + kept
                .iter()
                .map(|t| t.start + t.weights.len())
                .max()
                .unwrap_or(1);
        Self {
            starts,
            weights,
            taps: n,
            limit,
        }
    }

    /// Source index of output `i`'s tap `k`.
    pub fn index(&self, i: usize, k: usize) -> usize {
        (self.starts[i] as usize + k).min(self.limit - 1)
    }

    /// The source indices this pass reads: `[first, end)`.
    pub fn span(&self) -> (usize, usize) {
        (
            self.starts.iter().copied().min().unwrap_or(0) as usize,
            self.limit,
        )
    }

    fn weight(&self, i: usize, k: usize) -> i64 {
        self.weights[i * self.taps + k] as i64
    }
}

/// How a `source_width × source_height` image becomes the `size × size` crop.
#[derive(Debug, Clone, PartialEq)]
pub struct CropPlan {
    pub size: usize,
    pub source_width: usize,
    pub source_height: usize,
    /// Horizontal pass: output column → source columns.
    pub cols: PaddedTaps,
    /// Vertical pass: output row → source rows (of the horizontal pass's output).
    pub rows: PaddedTaps,
}

impl CropPlan {
    /// Resample `width × height` to `scaled_w × scaled_h` and keep the `size × size` window at
    /// `(left, top)`; the source is the region at `(x0, y0)` of an image `source_w × source_h`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        (source_width, source_height): (usize, usize),
        (x0, y0, width, height): (usize, usize, usize, usize),
        (scaled_w, scaled_h): (usize, usize),
        (left, top): (usize, usize),
        size: usize,
        filter: Interpolation,
    ) -> Self {
        Self {
            size,
            source_width,
            source_height,
            cols: PaddedTaps::new(width, scaled_w, filter, left, size, x0),
            rows: PaddedTaps::new(height, scaled_h, filter, top, size, y0),
        }
    }

    /// Source rows the horizontal pass must produce for the vertical one: `[first, end)`.
    pub fn row_span(&self) -> (usize, usize) {
        self.rows.span()
    }

    /// Runs both passes on the CPU. `image` must be `source_width × source_height`.
    pub fn execute(&self, image: &RgbImage) -> RgbImage {
        assert_eq!(
            (image.width, image.height),
            (self.source_width, self.source_height),
            "plan made for another size"
        );
        let size = self.size;
        let (first, end) = self.row_span();
        // Horizontal pass over the rows the vertical one reads: (end − first) × size pixels.
        let mut mid = vec![0u8; (end - first) * size * 3];
        for y in first..end {
            let row = &image.data[y * image.width * 3..(y + 1) * image.width * 3];
            let out = &mut mid[(y - first) * size * 3..(y - first + 1) * size * 3];
            for x in 0..size {
                for c in 0..3 {
                    let mut acc = ROUNDING as i64;
                    for k in 0..self.cols.taps {
                        acc += row[self.cols.index(x, k) * 3 + c] as i64 * self.cols.weight(x, k);
                    }
                    out[x * 3 + c] = clip8(acc);
                }
            }
        }
        let mut data = vec![0u8; size * size * 3];
        for y in 0..size {
            for x in 0..size * 3 {
                let mut acc = ROUNDING as i64;
                for k in 0..self.rows.taps {
                    acc += mid[(self.rows.index(y, k) - first) * size * 3 + x] as i64
                        * self.rows.weight(y, k);
                }
                data[y * size * 3 + x] = clip8(acc);
            }
        }
        RgbImage {
            width: size,
            height: size,
            data,
        }
    }
}
