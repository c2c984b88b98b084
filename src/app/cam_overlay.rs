//! The crop a network saw, with its class activation map laid over it: the map is coloured on
//! a canvas of its own size (7×7 for B0) and drawn scaled onto the crop with smoothing, which
//! upsamples it bilinearly.

use std::sync::Arc;

use effnet::preprocess::RgbImage;
use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{HtmlCanvasElement, ImageData};

use super::run::Cams;
use super::{AppState, js};

/// What the visitor set for the overlays (shared by every view).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CamSettings {
    pub enabled: bool,
    /// 0–1.
    pub opacity: f64,
    /// The class whose map is shown; `None`: each result's top class.
    pub class: Option<usize>,
}

impl Default for CamSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            opacity: 0.5,
            class: None,
        }
    }
}

fn put_rgba(
    canvas: &HtmlCanvasElement,
    rgba: &[u8],
    width: usize,
    height: usize,
) -> Result<(), String> {
    canvas.set_width(width as u32);
    canvas.set_height(height as u32);
    let ctx = js::context_2d(canvas)?;
    let data =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width as u32, height as u32)
            .map_err(|e| js::error_text(&e))?;
    ctx.put_image_data(&data, 0.0, 0.0)
        .map_err(|e| js::error_text(&e))
}

pub fn draw_crop(canvas: &HtmlCanvasElement, crop: &RgbImage) -> Result<(), String> {
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
) -> Result<(), String> {
    let map = cams.map(class).ok_or("no map for this class")?;
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
    .map_err(|e| js::error_text(&e))
}

/// The class an overlay shows: the chosen one if this result has its map, else the top class.
pub fn shown_class(settings: &CamSettings, cams: &Cams) -> Option<usize> {
    settings
        .class
        .filter(|c| cams.classes.contains(c))
        .or_else(|| cams.classes.first().copied())
}

/// The crop with the activation map of the class chosen in `state.cam` over it.
#[component]
pub fn CropView(
    crop: Arc<RgbImage>,
    cams: Option<Arc<Cams>>,
    #[prop(into)] testid: String,
) -> impl IntoView {
    let state = expect_context::<AppState>();
    let crop_ref = NodeRef::<leptos::html::Canvas>::new();
    let cam_ref = NodeRef::<leptos::html::Canvas>::new();
    let size = crop.width;
    {
        let crop = crop.clone();
        Effect::new(move |_| {
            if let Some(canvas) = crop_ref.get() {
                if let Err(e) = draw_crop(canvas.unchecked_ref(), &crop) {
                    js::log(&format!("effnet: cannot draw the crop: {e}"));
                }
            }
        });
    }
    let shown = {
        let cams = cams.clone();
        move || {
            cams.as_ref()
                .and_then(|c| state.cam.with(|s| shown_class(s, c)))
        }
    };
    {
        let cams = cams.clone();
        let shown = shown.clone();
        Effect::new(move |_| {
            let (Some(canvas), Some(cams), Some(class)) = (cam_ref.get(), cams.as_ref(), shown())
            else {
                return;
            };
            if let Err(e) = draw_cam(canvas.unchecked_ref(), cams, class, size) {
                js::log(&format!("effnet: cannot draw the activation map: {e}"));
            }
        });
    }
    let has_cams = cams.is_some();
    let label = {
        let shown = shown.clone();
        move || shown().map(|c| effnet::labels::label(c, 1000))
    };
    view! {
        <div class="crop-view" data-testid=testid style=("--crop-size", format!("{size}px"))>
            <canvas node_ref=crop_ref class="crop-pixels" data-role="crop"></canvas>
            {has_cams.then(|| view! {
                <canvas
                    node_ref=cam_ref
                    class="cam"
                    data-role="cam"
                    data-class=move || shown().map(|c| c.to_string()).unwrap_or_default()
                    class:hidden=move || !state.cam.with(|s| s.enabled)
                    style=("opacity", move || format!("{:.2}", state.cam.with(|s| s.opacity)))
                    title=label
                ></canvas>
            })}
        </div>
    }
}

/// The overlay's switch and opacity slider.
#[component]
pub fn CamControls() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <div class="cam-controls">
            <label>
                <input
                    type="checkbox"
                    data-testid="cam-toggle"
                    prop:checked=move || state.cam.with(|s| s.enabled)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        state.cam.update(|s| s.enabled = on);
                        if on {
                            super::refresh(state);
                        }
                    }
                />
                " Where the network looks (class activation map)"
            </label>
            <label class="opacity">
                "Opacity "
                <input
                    type="range"
                    min="0"
                    max="100"
                    data-testid="cam-opacity"
                    prop:value=move || (state.cam.with(|s| s.opacity) * 100.0).round().to_string()
                    on:input=move |ev| {
                        let v = event_target_value(&ev).parse::<f64>().unwrap_or(50.0) / 100.0;
                        state.cam.update(|s| s.opacity = v.clamp(0.0, 1.0));
                    }
                />
            </label>
        </div>
    }
}
