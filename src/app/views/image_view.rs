//! The stage's picture: the crop the network saw, with the activation map of the chosen class
//! over it, a legend and one sentence saying what the map shows (on random weights it is
//! marked meaningless and hidden), and the map's controls; a hint until there is a result.

use effnet::Variant;
use leptos::prelude::*;

use super::activation_map::{CamControls, CamLegend, CropView};
use crate::app::actions::App;
use crate::app::state::activation_map::shown_class;

/// "EfficientNet-Lite0" for "lite0".
pub fn variant_name(name: &str) -> String {
    Variant::parse(name).map_or_else(|| name.to_string(), |v| v.to_string())
}

#[component]
pub fn ImageView() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let stale = move || {
        let current = state.screen.with(|s| s.generation);
        state
            .result
            .with(|r| r.as_ref().is_some_and(|r| r.generation != current))
    };
    view! {
        <div class="image-view">
            {move || match state.result.get() {
                Some(r) => {
                    let name = variant_name(&r.variant);
                    let mapped = r.cams.as_ref().and_then(|c| state.cam.with(|s| shown_class(s, c)));
                    let sentence = match (r.pretrained, mapped) {
                        (false, _) => "Random weights: the map shows nothing meaningful, so it is hidden.".to_string(),
                        (true, Some(class)) => format!(
                            "Where {name} found “{}”: brighter means more evidence for it there.",
                            effnet::labels::label(class, 1000)
                        ),
                        (true, None) => String::new(),
                    };
                    view! {
                        <figure class="crop" class:stale=stale>
                            <CropView crop=r.crop.clone() cams=r.cams.clone().filter(|_| r.pretrained) testid="crop"/>
                            <figcaption data-testid="crop-caption" data-generation=r.generation.to_string()>
                                {format!("What {name} saw ({0}×{0}): {1}", r.crop_size, r.input)}
                            </figcaption>
                            {(r.source_size[0].min(r.source_size[1]) < r.crop_size).then(|| view! {
                                <p class="note" data-testid="enlarged">
                                    {format!(
                                        "This picture ({}×{}) is smaller than {name}'s {2}×{2} input: it was enlarged, so the network sees little detail.",
                                        r.source_size[0], r.source_size[1], r.crop_size
                                    )}
                                </p>
                            })}
                            <p class="map-sentence" data-testid="map-sentence" data-meaningful=r.pretrained.to_string()>{sentence}</p>
                            {r.pretrained.then(|| view! { <CamLegend/> })}
                        </figure>
                    }
                    .into_any()
                }
                None => view! {
                    <p class="placeholder" data-testid="no-image">"Pick a sample, choose a photo or start the webcam: the picture the network sees appears here."</p>
                }
                    .into_any(),
            }}
            <CamControls/>
        </div>
    }
}
