//! The variant panel: every preset with its numbers and weights status, and the per-stage
//! architecture of the selected one — all from the core crate's shared configuration.

use effnet::Variant;
use leptos::prelude::*;

use crate::app::actions::App;

use super::format::{billions, millions, thousands};
use crate::app::actions;
use crate::app::state::load::{LoadState, ManifestState, describe_entry};

#[component]
pub fn VariantPanel() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let rows = Variant::ALL
        .into_iter()
        .map(|v| {
            let d = v.config().describe();
            let selected = move || state.variant.get() == v;
            let entry = move || state.manifest.with(|m| m.entry(v));
            let status = move || match entry() {
                Some(e) => describe_entry(&e),
                None => state.manifest.with(|m| match m {
                    ManifestState::Loading => "checking…".to_string(),
                    _ => "no weights here: random initialisation".to_string(),
                }),
            };
            let pretrained = move || entry().is_some();
            view! {
                <tr
                    class:selected=selected
                    class="variant-row"
                    data-testid=format!("variant-row-{}", v.name())
                    data-variant=v.name()
                    data-width=format!("{}", d.width)
                    data-depth=format!("{}", d.depth)
                    data-resolution=d.resolution.to_string()
                    data-dropout=format!("{}", d.dropout)
                    data-params=d.params.to_string()
                    data-flops=d.flops.to_string()
                    data-top1=format!("{}", v.reported_top1())
                    data-pretrained=move || pretrained().to_string()
                    aria-selected=move || selected().to_string()
                    on:click=move |_| actions::select_variant(app, v)
                >
                    <td class="name">{v.to_string()}</td>
                    <td>{format!("{:.1}", d.width)}</td>
                    <td>{format!("{:.1}", d.depth)}</td>
                    <td>{d.resolution}</td>
                    <td>{format!("{:.1}", d.dropout)}</td>
                    <td>{millions(d.params)}</td>
                    <td>{billions(d.flops)}</td>
                    <td>{format!("{:.1} %", v.reported_top1())}</td>
                    <td class="weights" class:random=move || !pretrained() data-testid=format!("weights-{}", v.name())>
                        {status}
                    </td>
                </tr>
            }
        })
        .collect_view();

    view! {
        <section class="panel variants" aria-label="Variants">
            <h2>"Variants"</h2>
            <div class="scroll" tabindex="0" role="region" aria-label="Every variant">
                <table class="variant-table" data-testid="variant-table">
                    <thead>
                        <tr>
                            <th>"Variant"</th>
                            <th title="width multiplier">"Width"</th>
                            <th title="depth multiplier">"Depth"</th>
                            <th title="input resolution">"Res."</th>
                            <th>"Dropout"</th>
                            <th>"Params"</th>
                            <th title="multiply-adds at the input resolution">"FLOPs"</th>
                            <th title="ImageNet top-1 reported by the authors">"Top-1"</th>
                            <th>"Weights"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <LoadStatus/>
            <button
                class="secondary"
                data-testid="clear-cache"
                on:click=move |_| actions::clear_weights_cache(app)
            >
                "Forget cached weights"
            </button>
            <StageTable/>
        </section>
    }
}

/// Progress of the selected variant's weights.
#[component]
fn LoadStatus() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    view! {
        <div class="load" data-testid="weights-status">
            {move || match state.load.get() {
                LoadState::Idle => view! { <span></span> }.into_any(),
                LoadState::Downloading { variant, loaded, total } => {
                    view! {
                        <span>
                            {format!("Downloading {variant} weights: {:.1} of {:.1} MB ", loaded as f64 / 1e6, total as f64 / 1e6)}
                            <progress
                                data-testid="weights-progress"
                                max=total.max(1).to_string()
                                value=loaded.to_string()
                            ></progress>
                        </span>
                    }
                        .into_any()
                }
                LoadState::Preparing { what, .. } => view! { <span>{format!("{what}…")}</span> }.into_any(),
                LoadState::Loaded { variant, pretrained, from_cache, ms } => {
                    let how = match (pretrained, from_cache) {
                        (false, _) => "random initialisation (no weights here)",
                        (true, true) => "weights from the browser cache",
                        (true, false) => "weights downloaded",
                    };
                    view! {
                        <span data-state="ready" data-from-cache=from_cache.to_string()>
                            {format!("{variant} ready in {ms:.0} ms: {how}")}
                        </span>
                    }
                        .into_any()
                }
                LoadState::Failed { variant, error } => {
                    view! {
                        <span class="failed" data-state="failed">
                            {format!("{variant} could not be loaded: {error} ")}
                            <button class="retry" data-testid="retry-load" on:click=move |_| actions::retry_load(app)>
                                "Retry"
                            </button>
                        </span>
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

/// Per-stage architecture of the selected variant.
#[component]
fn StageTable() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    view! {
        {move || {
            let v = state.variant.get();
            let d = v.config().describe();
            view! {
                <h3>{format!("{v}: stages at {0}×{0}", d.resolution)}</h3>
                <div class="scroll" tabindex="0" role="region" aria-label="The stages">
                    <table class="stage-table" data-testid="stage-table" data-variant=v.name()>
                        <thead>
                            <tr>
                                <th>"Stage"</th>
                                <th>"Operator"</th>
                                <th>"Resolution"</th>
                                <th>"Channels"</th>
                                <th>"Layers"</th>
                                <th>"Params"</th>
                                <th>"FLOPs"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {d
                                .stages
                                .iter()
                                .enumerate()
                                .map(|(i, s)| {
                                    view! {
                                        <tr data-testid=format!("stage-{}", i + 1)>
                                            <td>{i + 1}</td>
                                            <td>{s.operator.clone()}</td>
                                            <td>{format!("{0}×{0} → {1}×{1}", s.in_resolution, s.out_resolution)}</td>
                                            <td>{format!("{} → {}", s.in_channels, s.out_channels)}</td>
                                            <td>{s.repeats}</td>
                                            <td>{thousands(s.params)}</td>
                                            <td>{millions(s.flops)}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                        <tfoot>
                            <tr>
                                <td colspan="5">"Total"</td>
                                <td>{millions(d.params)}</td>
                                <td>{billions(d.flops)}</td>
                            </tr>
                        </tfoot>
                    </table>
                </div>
            }
        }}
    }
}
