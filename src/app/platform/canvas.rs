//! Drawing on canvases: a crop, and a class activation map coloured and laid over it.

use effnet::preprocess::RgbImage;
use wasm_bindgen::Clamped;
use web_sys::{HtmlCanvasElement, ImageData};

use super::js;
use crate::app::state::error::AppError;
use crate::app::state::results::Cams;

fn put_rgba(
    canvas: &HtmlCanvasElement,
    rgba: &[u8],
    width: usize,
    height: usize,
) -> Result<(), AppError> {
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    let ctx = js::context_2d(canvas)?;
    let data =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width as u32, height as u32)
            .map_err(|e| js::browser_error(&e))?;
    ctx.put_image_data(&data, 0.0, 0.0)
        .map_err(|e| js::browser_error(&e))
}

pub fn draw_crop(canvas: &HtmlCanvasElement, crop: &RgbImage) -> Result<(), AppError> {
    let rgba: Vec<u8> = crop
        .data
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    put_rgba(canvas, &rgba, crop.width, crop.height)
}

/// A blue → cyan → yellow → red ramp for `t` in 0–1.
fn colour(t: f32) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    let stops: [[f32; 3]; 4] = [
        [0.1, 0.1, 0.6],
        [0.0, 0.8, 0.9],
        [1.0, 0.9, 0.1],
        [0.9, 0.05, 0.05],
    ];
    let x = t * 3.0;
    let i = (x.floor() as usize).min(2);
    let f = x - i as f32;
    let (a, b) = (stops[i], stops[i + 1]);
    [0, 1, 2].map(|c| ((a[c] + (b[c] - a[c]) * f) * 255.0).round() as u8)
}

/// Draws `class`'s map onto `canvas` (`size`² pixels): positive evidence scaled to 0–1 by the
/// map's maximum, transparent where there is none.
pub fn draw_cam(
    canvas: &HtmlCanvasElement,
    cams: &Cams,
    class: usize,
    size: usize,
) -> Result<(), AppError> {
    let map = cams
        .map(class)
        .ok_or_else(|| AppError::browser("no map for this class"))?;
    let max = map.iter().copied().fold(0f32, f32::max);
    let rgba: Vec<u8> = map
        .iter()
        .flat_map(|&v| {
            let t = if max > 0.0 { (v / max).max(0.0) } else { 0.0 };
            let [r, g, b] = colour(t);
            [r, g, b, (60.0 + 195.0 * t) as u8]
        })
        .collect();
    let (small, _) = js::canvas_2d(cams.width as u32, cams.height as u32)?;
    put_rgba(&small, &rgba, cams.width, cams.height)?;
    canvas.set_width(size as u32);
    canvas.set_height(size as u32);
    let ctx = js::context_2d(canvas)?;
    ctx.set_image_smoothing_enabled(true);
    ctx.draw_image_with_html_canvas_element_and_dw_and_dh(
        &small,
        0.0,
        0.0,
        size as f64,
        size as f64,
    )
    .map_err(|e| js::browser_error(&e))
}
