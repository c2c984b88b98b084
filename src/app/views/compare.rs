//! Compare view: the current image through several variants, one after another, each card with
//! the crop at that variant's resolution (and its activation map), top-5, latency here, params
//! and FLOPs; agreement between the pretrained variants is highlighted.

use effnet::Variant;
use leptos::prelude::*;

use crate::app::actions::App;

use super::activation_map::{CamControls, CropView};
use super::format::{billions, millions};
use crate::app::actions::compare;
use crate::app::state::compare::{Card, consensus};

#[component]
fn CardView(card: Card, consensus: Option<(usize, usize)>) -> impl IntoView {
    let top = card.top5.first().map(|p| p.index);
    let agrees =
        card.pretrained && top.is_some() && consensus.map(|(c, _)| Some(c) == top).unwrap_or(false);
    let disagrees = card.pretrained && top.is_some() && !agrees;
    let warm_note = match card.cold_ms {
        Some(cold) if (cold - card.latency_ms).abs() > f64::EPSILON => {
            format!(" (first run {cold:.0} ms)")
        }
        _ => " (first run)".into(),
    };
    view! {
        <article
            class="card"
            class:agrees=agrees
            class:disagrees=disagrees
            class:random=!card.pretrained
            data-testid=format!("compare-card-{}", card.variant)
            data-variant=card.variant.clone()
            data-top1=top.map(|t| t.to_string()).unwrap_or_default()
        >
            <h3>{card.variant.to_uppercase()} <span class="res">{format!("{0}×{0}", card.crop_size)}</span></h3>
            {(!card.pretrained).then(|| view! { <p class="random-warning">"Random initialisation: meaningless predictions"</p> })}
            {card.error.as_ref().map(|e| view! { <p class="failed" role="alert">{e.to_string()}</p> })}
            {card.crop.clone().map(|crop| view! { <CropView crop=crop cams=card.cams.clone() testid=format!("compare-crop-{}", card.variant)/> })}
            <ol class="top5 small">
                {card.top5.iter().enumerate().map(|(i, p)| {
                    let pct = p.prob * 100.0;
                    let is_consensus = consensus.map(|(c, _)| c == p.index).unwrap_or(false);
                    view! {
                        <li class:consensus=is_consensus data-testid=format!("compare-{}-prediction-{i}", card.variant) data-index=p.index.to_string() data-prob=format!("{:.6}", p.prob)>
                            <span class="label">{p.label.clone()}</span>
                            <span class="prob">{format!("{pct:.1} %")}</span>
                            <span class="bar"><span class="fill" style=("width", format!("{pct:.2}%"))></span></span>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <dl class="facts">
                <dt>"Latency here"</dt>
                <dd data-testid=format!("compare-latency-{}", card.variant) data-ms=format!("{:.1}", card.latency_ms)>{format!("{:.0} ms{warm_note}", card.latency_ms)}</dd>
                <dt>"Params"</dt><dd>{millions(card.params)}</dd>
                <dt>"FLOPs"</dt><dd>{billions(card.flops)}</dd>
            </dl>
        </article>
    }
}

#[component]
pub fn CompareView() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let ticks = Variant::ALL
        .into_iter()
        .map(|v| {
            let pretrained = move || state.manifest.with(|m| m.entry(v).is_some());
            view! {
                <label class="tick" class:random=move || !pretrained()>
                    <input
                        type="checkbox"
                        data-testid=format!("compare-tick-{}", v.name())
                        prop:checked=move || compare::chosen(state).contains(&v)
                        on:change=move |_| compare::toggle(app, v)
                    />
                    {format!(" {v}")}
                    <small>{move || if pretrained() { " pretrained" } else { " random" }}</small>
                </label>
            }
        })
        .collect_view();
    let summary = move || {
        state.compare.with(|c| {
            let pretrained = c
                .cards
                .iter()
                .filter(|k| k.pretrained && !k.top5.is_empty())
                .count();
            match consensus(&c.cards) {
                None => String::new(),
                Some((class, n)) if n == pretrained => format!(
                    "All {n} pretrained variant(s) agree: {}",
                    effnet::labels::label(class, 1000)
                ),
                Some((class, n)) => format!(
                    "{n} of {pretrained} pretrained variants say {}; the others (marked) disagree",
                    effnet::labels::label(class, 1000)
                ),
            }
        })
    };
    view! {
        <section class="panel compare" aria-label="Compare variants" data-testid="compare">
            <h2>"Compare variants on one image"</h2>
            <p class="hint">"Runs the current image through each ticked variant in turn, on the active backend."</p>
            <div class="ticks">{ticks}</div>
            <div class="buttons">
                <button data-testid="compare-run" disabled=move || state.compare.with(|c| c.running) on:click=move |_| compare::run(app)>
                    "Compare on the current image"
                </button>
            </div>
            <CamControls/>
            <p class="progress" data-testid="compare-progress" role="status">
                {move || state.compare.with(|c| c.progress.clone())}
                {move || state.compare.with(|c| c.running).then(|| view! {
                    <progress max=move || state.compare.with(|c| c.total.max(1)).to_string() value=move || state.compare.with(|c| c.done).to_string()></progress>
                })}
            </p>
            <p class="consensus" data-testid="compare-summary">{summary}</p>
            <div class="cards">
                {move || {
                    let (cards, consensus) = state.compare.with(|c| (c.cards.clone(), consensus(&c.cards)));
                    cards.into_iter().map(|card| view! { <CardView card=card consensus=consensus/> }).collect_view()
                }}
            </div>
        </section>
    }
}
