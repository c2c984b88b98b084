//! The variant switcher at the top of the page: one chip per preset (B0…B7, Lite0…Lite4) with
//! its width, depth and resolution multipliers, parameters and whether weights are here — all
//! from the core's shared configuration. A WAI-ARIA radio group: one Tab stop, arrow keys move
//! the choice.

use effnet::{Family, Variant};
use leptos::prelude::*;

use crate::app::actions::App;

use super::format::millions;
use super::roving;
use crate::app::actions;
use crate::app::platform::js;
use crate::app::state::load::ManifestState;

#[component]
pub fn VariantSwitcher() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let refs = roving::buttons(Variant::ALL.len());
    // The chosen chip stays in view where the strip scrolls (a phone): when it is chosen, once
    // the chips are laid out, and when the window's width changes.
    let into_view = {
        let refs = refs.clone();
        move || {
            let chosen = state.variant.get_untracked();
            let i = Variant::ALL.iter().position(|&v| v == chosen);
            if let Some(chip) = i.and_then(|i| refs[i].get_untracked()) {
                let options = js_sys::Object::new();
                js::set(&options, "block", &"nearest".into());
                js::set(&options, "inline", &"center".into());
                let _ = js::call(&chip.into(), "scrollIntoView", &[options.into()]);
            }
        }
    };
    {
        let into_view = into_view.clone();
        Effect::new(move |_| {
            state.variant.track();
            let into_view = into_view.clone();
            leptos::task::spawn_local(async move {
                js::sleep(50).await;
                into_view();
            });
        });
    }
    let _ = window_event_listener(leptos::ev::resize, move |_| into_view());
    let chips = Variant::ALL
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let d = v.config().describe();
            let selected = move || state.variant.get() == v;
            let pretrained = move || state.manifest.with(|m| m.entry(v).is_some());
            let checking = move || state.manifest.with(|m| matches!(m, ManifestState::Loading));
            let weights = move || match (pretrained(), checking()) {
                (true, _) => "pretrained",
                (false, true) => "checking…",
                (false, false) => "random",
            };
            let on_key = roving::on_keydown(refs.clone(), i, move |next| {
                actions::select_variant(app, Variant::ALL[next])
            });
            let lite = v.family() == Family::Lite;
            view! {
                <button
                    node_ref=refs[i]
                    class="variant-chip"
                    class:lite=lite
                    class:random=move || !pretrained() && !checking()
                    role="radio"
                    aria-checked=move || selected().to_string()
                    tabindex=move || if selected() { "0" } else { "-1" }
                    aria-label=move || format!(
                        "{v}: width ×{:.1}, depth ×{:.1}, {}×{} pixels, {} parameters, {} weights",
                        d.width, d.depth, d.resolution, d.resolution, millions(d.params), weights()
                    )
                    title=move || format!("{v} · {}", weights())
                    data-testid=format!("variant-chip-{}", v.name())
                    data-pretrained=move || pretrained().to_string()
                    on:click=move |_| actions::select_variant(app, v)
                    on:keydown=on_key
                >
                    <span class="chip-name">{short_name(v)}</span>
                    <span class="chip-res">{d.resolution}</span>
                    <span class="chip-mult">{format!("w{:.1} d{:.1}", d.width, d.depth)}</span>
                    <span class="chip-params">{format!("{:.1} M params", d.params as f64 / 1e6)}</span>
                    <span class="chip-weights" aria-hidden="true">{move || if pretrained() { "●" } else { "○" }}</span>
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="switcher-bar">
            <div class="switcher" role="radiogroup" aria-label="EfficientNet variant" data-testid="variant-switcher">
                {chips}
            </div>
            <p class="switcher-legend">
                "● pretrained weights here, ○ random weights · w, d: width and depth multipliers · input side in pixels · parameters"
            </p>
            <p class="switcher-more" aria-hidden="true">"‹ swipe for more variants ›"</p>
        </div>
    }
}

/// "B0", "Lite3": the chip's name (the family is said by the chip's colour and position).
fn short_name(v: Variant) -> String {
    v.to_string()
        .trim_start_matches("EfficientNet-")
        .to_string()
}
