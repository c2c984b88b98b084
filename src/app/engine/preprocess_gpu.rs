//! Preprocessing on the GPU (CubeCL): the photo's RGB bytes go up once, untouched, and two
//! kernels run the core's [`CropPlan`] — Pillow's horizontal pass over the rows the crop needs,
//! then the vertical pass, which also normalises (by table look-up) into the network's input
//! `[1, 3, size, size]` and packs the 8-bit crop for the page to show.
//!
//! The arithmetic is the CPU's, integer for integer (22-bit fixed-point weights, 32-bit sums,
//! rounding to 8 bits after each pass) and the normalised values come from
//! [`Preprocessing::lut`], so the input is bit-for-bit the one `Preprocessing::apply` makes; the
//! browser tests compare them. The plan's taps and the table stay on the GPU while the photo's
//! size and the variant do not change (webcam frames), so a frame costs one upload: its bytes.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};

use burn::backend::Cube;
use burn::backend::wgpu::CubeTensor;
use burn::tensor::{DType, Device, Int, Shape, Tensor as BurnTensor, TensorData};
use burn_cubecl::ops::numeric::empty_device_dtype;
use cubecl::{calculate_cube_count_elemwise, prelude::*};
use effnet::preprocess::{CropPlan, Preprocessing, ROUNDING, RgbImage};

// The kernels start each sum at this literal (Pillow's rounding offset).
const _: () = assert!(ROUNDING == 2_097_152);

/// Larger uploads are left to the CPU (WebGPU's default limit on one storage binding is 128 MiB;
/// the page scales photos down to 4096 × 4096, 48 MiB of RGB, before they get here).
const MAX_UPLOAD_BYTES: usize = 128 << 20;

static RUNS: AtomicU32 = AtomicU32::new(0);

/// How many inputs the GPU has prepared since the page started (`window.__effnet.preprocess`).
pub fn runs() -> u32 {
    RUNS.load(Ordering::Relaxed)
}

/// Byte `i` of the RGB bytes packed four to a word (little-endian).
#[cube]
fn byte_at(words: &Tensor<u32>, i: usize) -> i32 {
    let word = words[i / 4];
    let shift = ((i % 4) * 8) as u32;
    i32::cast_from((word >> shift) & 255u32)
}

/// Pillow's `clip8`: the sum back to 8 bits.
#[cube]
fn clip8(acc: i32) -> u32 {
    let v = acc >> 22i32;
    let mut out = 0u32;
    if v >= 255i32 {
        out = 255u32;
    } else if v > 0i32 {
        out = u32::cast_from(v);
    }
    out
}

/// Source index of tap `k` from `start`; padding taps (weight 0) are kept below `limit`.
#[cube]
fn tap(start: u32, k: u32, limit: u32) -> usize {
    let mut i = start + k;
    if i >= limit {
        i = limit - 1;
    }
    i as usize
}

/// Channel `c` of a packed `r | g << 8 | b << 16` pixel.
#[cube]
fn channel(pixel: u32, c: u32) -> i32 {
    i32::cast_from((pixel >> (c * 8u32)) & 255u32)
}

/// `mid[r, x]` (packed RGB) = the horizontal pass at source row `first_row + r`, crop column `x`.
/// `source` holds the rows from `first_row` on, `width` pixels each.
#[cube(launch)]
fn horizontal_kernel(
    source: &Tensor<u32>,
    starts: &Tensor<u32>,
    weights: &Tensor<i32>,
    mid: &mut Tensor<u32>,
    width: u32,
    limit: u32,
    taps: u32,
    size: u32,
) {
    if ABSOLUTE_POS >= mid.len() {
        terminate!();
    }
    let x = ABSOLUTE_POS % size as usize;
    let row = ABSOLUTE_POS / size as usize;
    let row_base = row * width as usize * 3;
    let start = starts[x];
    let w_base = x * taps as usize;
    let mut r = 2_097_152i32;
    let mut g = 2_097_152i32;
    let mut b = 2_097_152i32;
    for k in 0..taps {
        let weight = weights[w_base + k as usize];
        let at = row_base + tap(start, k, limit) * 3;
        r += byte_at(source, at) * weight;
        g += byte_at(source, at + 1) * weight;
        b += byte_at(source, at + 2) * weight;
    }
    mid[ABSOLUTE_POS] = clip8(r) | (clip8(g) << 8u32) | (clip8(b) << 16u32);
}

/// The vertical pass at crop pixel `(y, x)`: the 8-bit crop (packed) and the network's input
/// (`lut[c · 256 + value]`, planes R, G, B).
#[cube(launch)]
fn vertical_kernel(
    mid: &Tensor<u32>,
    starts: &Tensor<u32>,
    weights: &Tensor<i32>,
    lut: &Tensor<f32>,
    input: &mut Tensor<f32>,
    crop: &mut Tensor<u32>,
    first_row: u32,
    limit: u32,
    taps: u32,
    size: u32,
) {
    if ABSOLUTE_POS >= crop.len() {
        terminate!();
    }
    let x = ABSOLUTE_POS % size as usize;
    let y = ABSOLUTE_POS / size as usize;
    let start = starts[y];
    let w_base = y * taps as usize;
    let mut r = 2_097_152i32;
    let mut g = 2_097_152i32;
    let mut b = 2_097_152i32;
    for k in 0..taps {
        let weight = weights[w_base + k as usize];
        let pixel = mid[(tap(start, k, limit) - first_row as usize) * size as usize + x];
        r += channel(pixel, 0u32) * weight;
        g += channel(pixel, 1u32) * weight;
        b += channel(pixel, 2u32) * weight;
    }
    let (r, g, b) = (clip8(r), clip8(g), clip8(b));
    let plane = crop.len();
    input[ABSOLUTE_POS] = lut[r as usize];
    input[plane + ABSOLUTE_POS] = lut[256 + g as usize];
    input[2 * plane + ABSOLUTE_POS] = lut[512 + b as usize];
    crop[ABSOLUTE_POS] = r | (g << 8u32) | (b << 16u32);
}

/// The plan's numbers on the GPU, kept for the next frame of the same size.
struct Uploaded {
    /// What they were made for: the photo's size and the preprocessing.
    key: (usize, usize, Preprocessing),
    plan: CropPlan,
    col_starts: CubeTensor,
    col_weights: CubeTensor,
    row_starts: CubeTensor,
    row_weights: CubeTensor,
    lut: CubeTensor,
}

thread_local! {
    static UPLOADED: RefCell<Option<Uploaded>> = const { RefCell::new(None) };
}

fn upload_int<T: burn::tensor::Element>(
    values: Vec<T>,
    dtype: DType,
    device: &Device,
) -> Option<CubeTensor> {
    let n = values.len();
    BurnTensor::<1, Int>::from_data(TensorData::new(values, [n]), (device, dtype))
        .try_into_primitive::<Cube>()
        .ok()
}

impl Uploaded {
    /// `None` when the plan needs two resamplings or `device` is not on burn's CubeCL backend.
    fn new(key: (usize, usize, Preprocessing), device: &Device) -> Option<Self> {
        let plan = key.2.plan(key.0, key.1)?;
        let lut = key.2.lut();
        let n = lut.len();
        Some(Self {
            col_starts: upload_int(plan.cols.starts.clone(), DType::U32, device)?,
            col_weights: upload_int(plan.cols.weights.clone(), DType::I32, device)?,
            row_starts: upload_int(plan.rows.starts.clone(), DType::U32, device)?,
            row_weights: upload_int(plan.rows.weights.clone(), DType::I32, device)?,
            lut: BurnTensor::<1>::from_data(TensorData::new(lut, [n]), (device, DType::F32))
                .try_into_primitive::<Cube>()
                .ok()?,
            plan,
            key,
        })
    }
}

/// The network's input `[1, 3, size, size]` for `image` and its 8-bit crop (one `r | g << 8 |
/// b << 16` word a pixel, row-major), both computed on the GPU and left there. `None` when
/// `device` is not on burn's CubeCL backend or when the plan would resample twice (a short side
/// scaled below the input size) or the photo's rows exceed [`MAX_UPLOAD_BYTES`]: the CPU
/// prepares those.
pub fn prepare(
    p: &Preprocessing,
    image: &RgbImage,
    device: &Device,
) -> Option<(BurnTensor<4>, BurnTensor<1, Int>)> {
    UPLOADED.with(|cell| {
        let mut cell = cell.borrow_mut();
        let key = (image.width, image.height, p.clone());
        if !matches!(&*cell, Some(u) if u.key == key) {
            *cell = None; // the old plan's buffers go back to the pool first
            *cell = Some(Uploaded::new(key, device)?);
        }
        let u = cell.as_ref()?;
        let plan = &u.plan;
        let size = plan.size;
        let (first, end) = plan.row_span();
        if (end - first) * image.width * 3 > MAX_UPLOAD_BYTES {
            return None;
        }
        let row_bytes = image.width * 3;
        let mut bytes = image.data[first * row_bytes..end * row_bytes].to_vec();
        bytes.resize(bytes.len().next_multiple_of(4), 0);
        let words = bytes.len() / 4;
        let source = BurnTensor::<1, Int>::from_data(
            TensorData::from_bytes_vec(bytes, [words], DType::U32),
            (device, DType::U32),
        )
        .try_into_primitive::<Cube>()
        .ok()?;
        let client = source.client.clone();
        let cube_device = source.device.clone();
        let mid_len = (end - first) * size;
        let mid = empty_device_dtype(
            client.clone(),
            cube_device.clone(),
            Shape::new([mid_len]),
            DType::U32,
        );
        let cube_dim = CubeDim::new(&client, mid_len);
        horizontal_kernel::launch(
            &client,
            calculate_cube_count_elemwise(&client, mid_len, cube_dim),
            cube_dim,
            source.into_tensor_arg(),
            u.col_starts.clone().into_tensor_arg(),
            u.col_weights.clone().into_tensor_arg(),
            mid.clone().into_tensor_arg(),
            image.width as u32,
            plan.cols.limit as u32,
            plan.cols.taps as u32,
            size as u32,
        );
        let pixels = size * size;
        let input = empty_device_dtype(
            client.clone(),
            cube_device.clone(),
            Shape::new([1, 3, size, size]),
            DType::F32,
        );
        let crop = empty_device_dtype(
            client.clone(),
            cube_device,
            Shape::new([pixels]),
            DType::U32,
        );
        let cube_dim = CubeDim::new(&client, pixels);
        vertical_kernel::launch(
            &client,
            calculate_cube_count_elemwise(&client, pixels, cube_dim),
            cube_dim,
            mid.into_tensor_arg(),
            u.row_starts.clone().into_tensor_arg(),
            u.row_weights.clone().into_tensor_arg(),
            u.lut.clone().into_tensor_arg(),
            input.clone().into_tensor_arg(),
            crop.clone().into_tensor_arg(),
            first as u32,
            plan.rows.limit as u32,
            plan.rows.taps as u32,
            size as u32,
        );
        RUNS.fetch_add(1, Ordering::Relaxed);
        Some((
            BurnTensor::<4>::from_primitive::<Cube>(input),
            BurnTensor::<1, Int>::from_primitive::<Cube>(crop),
        ))
    })
}

/// The packed crop read back into an image.
pub async fn read_crop(crop: BurnTensor<1, Int>, size: usize) -> Result<RgbImage, String> {
    let data = crop
        .into_data_async()
        .await
        .map_err(|e| format!("reading the crop failed: {e:?}"))?;
    let words = data
        .as_slice::<u32>()
        .map_err(|e| format!("unexpected crop: {e:?}"))?;
    let bytes = words
        .iter()
        .flat_map(|w| [*w as u8, (w >> 8) as u8, (w >> 16) as u8])
        .collect();
    RgbImage::new(size, size, bytes).map_err(|e| e.to_string())
}
