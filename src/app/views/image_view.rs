//! The stage's picture: the crop the network saw, with the activation map of the chosen class
//! over it and the map's controls; a hint until there is a result.

use leptos::prelude::*;

use crate::app::actions::App;

use super::activation_map::{CamControls, CropView};

#[component]
pub fn ImageView() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    view! {
        <div class="image-view">
            {move || match state.result.get() {
                Some(r) => view! {
                    <figure class="crop">
                        <CropView crop=r.crop.clone() cams=r.cams.clone() testid="crop"/>
                        <figcaption>{format!("What {} saw ({1}×{1}): {2}", r.variant, r.crop_size, r.input)}</figcaption>
                    </figure>
                }
                    .into_any(),
                None => view! {
                    <p class="placeholder" data-testid="no-image">"Pick a sample, choose a photo or start the webcam: the picture the network sees appears here."</p>
                }
                    .into_any(),
            }}
            <CamControls/>
        </div>
    }
}
