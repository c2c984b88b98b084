//! From a decoded RGB image to the network's input: crop, resize and normalise exactly as the
//! weights' manifest says. Pure Rust, shared by the CLI and the page.
//!
//! Resampling reproduces Pillow's `Image.resize` for 8-bit RGB (separable filters, support
//! widened when shrinking, 22-bit fixed-point weights, horizontal pass first, rounding to 8 bits
//! between and after the passes), because that is what the PyTorch pipelines the weights were
//! trained and evaluated with use.

mod plan;
mod resample;

pub use plan::{CropPlan, PaddedTaps};
pub use resample::{PRECISION_BITS, ROUNDING, resample};
use serde::{Deserialize, Serialize};

/// An 8-bit RGB image, row-major, 3 bytes a pixel.
#[derive(Debug, Clone, PartialEq)]
pub struct RgbImage {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl RgbImage {
    /// Checks that `data` holds `width × height` RGB pixels.
    pub fn new(width: usize, height: usize, data: Vec<u8>) -> Result<Self, PreprocessError> {
        if width == 0 || height == 0 {
            return Err(PreprocessError::Empty);
        }
        if data.len() != width * height * 3 {
            return Err(PreprocessError::BadBuffer {
                expected: width * height * 3,
                found: data.len(),
            });
        }
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// Drops the alpha channel of an RGBA buffer (as Pillow's `convert("RGB")` does).
    pub fn from_rgba(width: usize, height: usize, rgba: &[u8]) -> Result<Self, PreprocessError> {
        if rgba.len() != width * height * 4 {
            return Err(PreprocessError::BadBuffer {
                expected: width * height * 4,
                found: rgba.len(),
            });
        }
        let data = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        Self::new(width, height, data)
    }

    /// The sub-image `[left, left + w) × [top, top + h)`.
    pub fn crop(&self, left: usize, top: usize, w: usize, h: usize) -> RgbImage {
        let mut data = Vec::with_capacity(w * h * 3);
        for y in top..top + h {
            let row = (y * self.width + left) * 3;
            data.extend_from_slice(&self.data[row..row + w * 3]);
        }
        RgbImage {
            width: w,
            height: h,
            data,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PreprocessError {
    Empty,
    BadBuffer {
        expected: usize,
        found: usize,
    },
    WrongSize {
        expected: usize,
        width: usize,
        height: usize,
    },
}

impl std::fmt::Display for PreprocessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => write!(f, "the image has no pixels"),
            Self::BadBuffer { expected, found } => {
                write!(f, "pixel buffer holds {found} bytes, expected {expected}")
            }
            Self::WrongSize {
                expected,
                width,
                height,
            } => write!(
                f,
                "the image is {width}×{height}, but without resizing it must be exactly {expected}×{expected}"
            ),
        }
    }
}

impl std::error::Error for PreprocessError {}

/// Resampling filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    Bilinear,
    Bicubic,
}

impl Interpolation {
    fn support(self) -> f64 {
        match self {
            Self::Bilinear => 1.0,
            Self::Bicubic => 2.0,
        }
    }

    fn weight(self, x: f64) -> f64 {
        let x = x.abs();
        match self {
            Self::Bilinear => (1.0 - x).max(0.0),
            Self::Bicubic => {
                const A: f64 = -0.5;
                if x < 1.0 {
                    ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
                } else if x < 2.0 {
                    (((x - 5.0) * x + 8.0) * x - 4.0) * A
                } else {
                    0.0
                }
            }
        }
    }
}

/// How the image is brought to the network's square input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Resize {
    /// torchvision: scale so the short side is `resize` (long side `floor(resize × long / short)`),
    /// then take the centre `size × size` (offsets rounded half to even, as torchvision does).
    ShortSideThenCentreCrop { resize: usize },
    /// TensorFlow's EfficientNet eval: take the centre square of side
    /// `floor(short × size / (size + pad) + 0.5)` (offsets `(side_len - crop) / 2` floored),
    /// then scale it to `size × size`.
    CentreCropThenResize { pad: usize },
}

/// Everything needed to turn a photo into the network's input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    /// Side of the square input.
    pub size: usize,
    pub resize: Resize,
    pub interpolation: Interpolation,
    /// Per-channel mean and standard deviation in pixel units (0–255):
    /// `input = (pixel − mean) / std`.
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl Preprocessing {
    /// torchvision's ImageNet evaluation transform.
    pub fn imagenet(size: usize, resize: usize, interpolation: Interpolation) -> Self {
        Self {
            size,
            resize: Resize::ShortSideThenCentreCrop { resize },
            interpolation,
            mean: [0.485 * 255.0, 0.456 * 255.0, 0.406 * 255.0],
            std: [0.229 * 255.0, 0.224 * 255.0, 0.225 * 255.0],
        }
    }

    /// EfficientNet-Lite's evaluation: centre crop of `size / (size + 32)`, bicubic,
    /// `(x − 127) / 128`.
    pub fn lite(size: usize) -> Self {
        Self {
            size,
            resize: Resize::CentreCropThenResize { pad: 32 },
            interpolation: Interpolation::Bicubic,
            mean: [127.0; 3],
            std: [128.0; 3],
        }
    }

    /// The `size × size` crop the network sees, still 8-bit (what the page shows).
    pub fn crop(&self, image: &RgbImage) -> RgbImage {
        if let Some(plan) = self.plan(image.width, image.height) {
            return plan.execute(image);
        }
        // Scaled short side below `size`: Pillow resamples twice.
        let (nw, nh) = self
            .scaled_size(image.width, image.height)
            .expect("only this rule has no plan");
        resample(
            &resample(image, nw, nh, self.interpolation),
            self.size,
            self.size,
            self.interpolation,
        )
    }

    /// The image size after the first resampling of `ShortSideThenCentreCrop`.
    fn scaled_size(&self, w: usize, h: usize) -> Option<(usize, usize)> {
        let Resize::ShortSideThenCentreCrop { resize } = self.resize else {
            return None;
        };
        Some(if w <= h {
            (resize, (resize as f64 * h as f64 / w as f64) as usize)
        } else {
            ((resize as f64 * w as f64 / h as f64) as usize, resize)
        })
    }

    /// Which source pixels make each pixel of a `width × height` image's crop, and with which
    /// weights; `None` when the scaled short side is below `size` (then `crop` resamples twice,
    /// as Pillow does).
    pub fn plan(&self, width: usize, height: usize) -> Option<CropPlan> {
        let (w, h, size) = (width, height, self.size);
        let filter = self.interpolation;
        match self.resize {
            Resize::ShortSideThenCentreCrop { .. } => {
                let (nw, nh) = self.scaled_size(w, h)?;
                if nw < size || nh < size {
                    return None;
                }
                let left = round_half_even((nw - size) as f64 / 2.0);
                let top = round_half_even((nh - size) as f64 / 2.0);
                Some(CropPlan::new(
                    (w, h),
                    (0, 0, w, h),
                    (nw, nh),
                    (left, top),
                    size,
                    filter,
                ))
            }
            Resize::CentreCropThenResize { pad } => {
                let short = w.min(h);
                let side =
                    ((short as f64 * size as f64 / (size + pad) as f64) + 0.5).floor() as usize;
                let side = side.clamp(1, short);
                let region = ((w - side) / 2, (h - side) / 2, side, side);
                Some(CropPlan::new(
                    (w, h),
                    region,
                    (size, size),
                    (0, 0),
                    size,
                    filter,
                ))
            }
        }
    }

    /// `lut()[c * 256 + v]` is what [`Self::normalize`] makes of value `v` in channel `c`
    /// (the page's GPU preprocessing looks values up here, so it rounds the same).
    pub fn lut(&self) -> Vec<f32> {
        (0..3)
            .flat_map(|c| (0..256).map(move |v| (v as f32 - self.mean[c]) / self.std[c]))
            .collect()
    }

    /// Normalises a `size × size` crop into a CHW `f32` buffer `[3, size, size]`.
    pub fn normalize(&self, crop: &RgbImage) -> Result<Vec<f32>, PreprocessError> {
        if crop.width != self.size || crop.height != self.size {
            return Err(PreprocessError::WrongSize {
                expected: self.size,
                width: crop.width,
                height: crop.height,
            });
        }
        let plane = self.size * self.size;
        let mut out = vec![0f32; 3 * plane];
        for (i, px) in crop.data.chunks_exact(3).enumerate() {
            for c in 0..3 {
                out[c * plane + i] = (px[c] as f32 - self.mean[c]) / self.std[c];
            }
        }
        Ok(out)
    }

    /// Crop and normalise: the network input `[3, size, size]` and the crop it came from.
    pub fn apply(&self, image: &RgbImage) -> (Vec<f32>, RgbImage) {
        let crop = self.crop(image);
        let input = self.normalize(&crop).expect("crop() returns size × size");
        (input, crop)
    }
}

fn round_half_even(x: f64) -> usize {
    let r = x.round();
    let r = if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - 1.0
    } else {
        r
    };
    r as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: usize, h: usize) -> RgbImage {
        let data = (0..w * h)
            .flat_map(|i| [(i % w * 7) as u8, (i / w * 5) as u8, 128])
            .collect();
        RgbImage::new(w, h, data).unwrap()
    }

    #[test]
    fn same_size_resample_is_identity() {
        let img = gradient(17, 9);
        assert_eq!(resample(&img, 17, 9, Interpolation::Bicubic), img);
    }

    #[test]
    fn constant_image_stays_constant() {
        let img = RgbImage::new(50, 30, vec![200; 50 * 30 * 3]).unwrap();
        let out = resample(&img, 13, 41, Interpolation::Bicubic);
        assert!(out.data.iter().all(|&v| v == 200));
    }

    #[test]
    fn crops_have_the_requested_size() {
        let img = gradient(640, 480);
        for p in [
            Preprocessing::imagenet(224, 256, Interpolation::Bicubic),
            Preprocessing::lite(224),
        ] {
            let (input, crop) = p.apply(&img);
            assert_eq!((crop.width, crop.height), (224, 224));
            assert_eq!(input.len(), 3 * 224 * 224);
        }
        let tiny = gradient(3, 2);
        let (_, crop) = Preprocessing::imagenet(224, 256, Interpolation::Bilinear).apply(&tiny);
        assert_eq!((crop.width, crop.height), (224, 224));
    }

    #[test]
    fn normalize_rejects_wrong_sizes_and_applies_mean_std() {
        let p = Preprocessing::lite(2);
        assert!(p.normalize(&gradient(3, 2)).is_err());
        let img = RgbImage::new(
            2,
            2,
            vec![255, 127, 0, 255, 127, 0, 255, 127, 0, 255, 127, 0],
        )
        .unwrap();
        let x = p.normalize(&img).unwrap();
        assert_eq!(&x[..1], &[1.0]);
        assert_eq!(x[4], 0.0);
        assert_eq!(x[8], -127.0 / 128.0);
    }

    /// What `crop` did before plans: resample the whole image, then cut the window out.
    fn crop_by_resampling(p: &Preprocessing, image: &RgbImage) -> RgbImage {
        let (w, h, size) = (image.width, image.height, p.size);
        match p.resize {
            Resize::ShortSideThenCentreCrop { .. } => {
                let (nw, nh) = p.scaled_size(w, h).unwrap();
                let scaled = resample(image, nw, nh, p.interpolation);
                let left = round_half_even((nw - size) as f64 / 2.0);
                let top = round_half_even((nh - size) as f64 / 2.0);
                scaled.crop(left, top, size, size)
            }
            Resize::CentreCropThenResize { pad } => {
                let short = w.min(h);
                let side = (((short * size) as f64 / (size + pad) as f64) + 0.5).floor() as usize;
                let side = side.clamp(1, short);
                resample(
                    &image.crop((w - side) / 2, (h - side) / 2, side, side),
                    size,
                    size,
                    p.interpolation,
                )
            }
        }
    }

    fn noise(w: usize, h: usize, seed: u64) -> RgbImage {
        let mut s = seed;
        let data = (0..w * h * 3)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 56) as u8
            })
            .collect();
        RgbImage::new(w, h, data).unwrap()
    }

    #[test]
    fn plans_give_the_bytes_of_resampling_then_cropping() {
        let rules = [
            Preprocessing::imagenet(24, 28, Interpolation::Bicubic),
            Preprocessing::imagenet(24, 28, Interpolation::Bilinear),
            Preprocessing::imagenet(24, 24, Interpolation::Bilinear),
            Preprocessing::lite(24),
            Preprocessing {
                interpolation: Interpolation::Bilinear,
                ..Preprocessing::lite(23)
            },
        ];
        // Shrinking a lot, a little, not at all, enlarging; odd and even sides; both orientations.
        let sizes = [
            (200, 90),
            (90, 200),
            (31, 29),
            (28, 28),
            (24, 24),
            (25, 41),
            (13, 7),
            (7, 13),
            (28, 97),
        ];
        let mut planned = 0;
        for (i, p) in rules.iter().enumerate() {
            for (j, &(w, h)) in sizes.iter().enumerate() {
                let image = noise(w, h, (i * 100 + j) as u64);
                let Some(plan) = p.plan(w, h) else {
                    let (nw, nh) = p.scaled_size(w, h).unwrap();
                    assert!(nw < p.size || nh < p.size, "{p:?} {w}×{h}: no plan");
                    continue;
                };
                planned += 1;
                let (first, end) = plan.row_span();
                assert!(first < end && end <= h, "{w}×{h}: rows {first}..{end}");
                assert_eq!(
                    plan.execute(&image),
                    crop_by_resampling(p, &image),
                    "{p:?} on {w}×{h}"
                );
                assert_eq!(p.crop(&image), crop_by_resampling(p, &image));
            }
        }
        assert!(planned >= 40, "only {planned} cases had a plan");
    }

    #[test]
    fn lut_is_what_normalize_computes() {
        for p in [
            Preprocessing::imagenet(2, 2, Interpolation::Bilinear),
            Preprocessing::lite(2),
        ] {
            let lut = p.lut();
            for v in 0..=255u8 {
                let x = p
                    .normalize(&RgbImage::new(2, 2, vec![v; 12]).unwrap())
                    .unwrap();
                for c in 0..3 {
                    assert_eq!(x[c * 4].to_bits(), lut[c * 256 + v as usize].to_bits());
                }
            }
        }
    }

    #[test]
    fn half_even_rounding() {
        assert_eq!(round_half_even(16.0), 16);
        assert_eq!(round_half_even(0.5), 0);
        assert_eq!(round_half_even(1.5), 2);
        assert_eq!(round_half_even(2.4), 2);
    }
}
