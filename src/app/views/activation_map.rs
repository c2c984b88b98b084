//! The crop a network saw, with its class activation map laid over it: the map is coloured on
//! a canvas of its own size (7×7 for B0) and drawn scaled onto the crop with smoothing, which
//! upsamples it bilinearly.

use std::sync::Arc;

use effnet::preprocess::RgbImage;
use leptos::prelude::*;

use crate::app::actions::App;
use wasm_bindgen::JsCast;

use crate::app::actions;
use crate::app::platform::canvas::{draw_cam, draw_crop};
use crate::app::platform::js;
use crate::app::state::activation_map::shown_class;
use crate::app::state::results::Cams;

/// The crop with the activation map of the class chosen in `state.cam` over it.
#[component]
pub fn CropView(
    crop: Arc<RgbImage>,
    cams: Option<Arc<Cams>>,
    #[prop(into)] testid: String,
) -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let crop_ref = NodeRef::<leptos::html::Canvas>::new();
    let cam_ref = NodeRef::<leptos::html::Canvas>::new();
    let size = crop.width;
    {
        let crop = crop.clone();
        Effect::new(move |_| {
            if let Some(canvas) = crop_ref.get()
                && let Err(e) = draw_crop(canvas.unchecked_ref(), &crop)
            {
                js::log(&format!("effnet: cannot draw the crop: {e}"));
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
    let app = expect_context::<App>();
    let state = app.state;
    view! {
        <div class="cam-controls">
            <label>
                <input
                    type="checkbox"
                    data-testid="cam-toggle"
                    prop:checked=move || state.cam.with(|s| s.enabled)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        actions::set_cam(app, |s| s.enabled = on);
                        if on {
                            actions::refresh(app);
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
                        actions::set_cam(app, |s| s.opacity = v.clamp(0.0, 1.0));
                    }
                />
            </label>
        </div>
    }
}

/// What the map's colours mean (the ramp `platform::canvas::draw_cam` paints: no evidence for
/// the class is transparent, the strongest red).
#[component]
pub fn CamLegend() -> impl IntoView {
    view! {
        <div class="cam-legend" data-testid="cam-legend" aria-hidden="true">
            <span class="cam-legend-end">"little"</span>
            <span class="cam-legend-ramp"></span>
            <span class="cam-legend-end">"most evidence"</span>
        </div>
    }
}
