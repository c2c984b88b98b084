//! Compare view: the current image through several variants, one after another, each card with
//! the crop at that variant's resolution (and its activation map), top-5, latency here, params
//! and FLOPs; agreement between the pretrained variants is highlighted.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::Arc;

use effnet::Variant;
use effnet::predict::Prediction;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Serialize;

use super::cam_overlay::{CamControls, CropView};
use super::inference::{self, cam_peak};
use super::models::{LoadState, ensure_model_with};
use super::run::{Cams, run_model};
use super::variants::{billions, millions};
use super::weights::ManifestState;
use super::{AppState, js, measurements};

/// One variant's result in the compare view.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub variant: String,
    pub pretrained: bool,
    pub backend: String,
    pub top5: Vec<Prediction>,
    /// Latency of the run shown (warm when the network had run before).
    pub latency_ms: f64,
    pub cold_ms: Option<f64>,
    pub params: u64,
    pub flops: u64,
    pub crop_size: usize,
    pub cam_peak: Option<[f64; 2]>,
    pub error: Option<String>,
    #[serde(skip)]
    pub crop: Option<Arc<effnet::preprocess::RgbImage>>,
    #[serde(skip)]
    pub cams: Option<Arc<Cams>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CompareState {
    /// Ticked variants; `None` until the visitor changes the default (the pretrained ones).
    #[serde(skip)]
    pub chosen: Option<BTreeSet<Variant>>,
    pub running: bool,
    pub progress: String,
    pub done: usize,
    pub total: usize,
    pub input: Option<String>,
    pub cards: Vec<Card>,
    /// Runs finished (tests wait for it to grow).
    pub runs: u64,
}

thread_local! {
    static RUN: Cell<u64> = const { Cell::new(0) };
}

/// The variants ticked now: the visitor's choice, or every variant with pretrained weights
/// (Lite0 and B0 when there are none).
pub fn chosen(state: AppState) -> BTreeSet<Variant> {
    if let Some(c) = state.compare.with(|c| c.chosen.clone()) {
        return c;
    }
    let pretrained: BTreeSet<Variant> = state.manifest.with(|m| match m {
        ManifestState::Loaded(_) => Variant::ALL
            .into_iter()
            .filter(|v| m.entry(*v).is_some())
            .collect(),
        _ => BTreeSet::new(),
    });
    if pretrained.is_empty() {
        [Variant::Lite0, Variant::B0].into()
    } else {
        pretrained
    }
}

fn toggle(state: AppState, variant: Variant) {
    let mut set = chosen(state);
    if !set.remove(&variant) {
        set.insert(variant);
    }
    state.compare.update(|c| c.chosen = Some(set));
}

/// The top-1 label most pretrained cards agree on, and how many do.
pub fn consensus(cards: &[Card]) -> Option<(usize, usize)> {
    let tops: Vec<usize> = cards
        .iter()
        .filter(|c| c.pretrained)
        .filter_map(|c| c.top5.first().map(|p| p.index))
        .collect();
    let best = tops
        .iter()
        .copied()
        .max_by_key(|&t| (tops.iter().filter(|&&u| u == t).count(), usize::MAX - t))?;
    Some((best, tops.iter().filter(|&&t| t == best).count()))
}

/// Runs the current image through the ticked variants, one after another.
pub fn run(state: AppState) {
    let Some((image, name)) = inference::current_image() else {
        state.error.set(Some(
            "Choose an image first (a sample, a file, a drop or a paste), then compare.".into(),
        ));
        return;
    };
    let Some(kind) = state.backend.with_untracked(|b| b.active) else {
        return;
    };
    let variants: Vec<Variant> = chosen(state).into_iter().collect();
    if variants.is_empty() {
        state
            .error
            .set(Some("Tick at least one variant to compare.".into()));
        return;
    }
    let me = RUN.with(|r| {
        r.set(r.get() + 1);
        r.get()
    });
    let stale = move || RUN.with(Cell::get) != me;
    let total = variants.len();
    state.compare.update(|c| {
        c.running = true;
        c.cards.clear();
        c.done = 0;
        c.total = total;
        c.input = Some(name.clone());
    });
    spawn_local(async move {
        for (i, variant) in variants.into_iter().enumerate() {
            if stale() {
                return;
            }
            let set_progress = |what: String| {
                state
                    .compare
                    .update(|c| c.progress = format!("{}/{total} · {what}", i + 1))
            };
            set_progress(format!("loading {variant}…"));
            let progress = |s: LoadState| {
                if let LoadState::Downloading {
                    loaded, total: t, ..
                } = s
                {
                    set_progress(format!(
                        "downloading {variant}: {:.1} of {:.1} MB",
                        loaded as f64 / 1e6,
                        t as f64 / 1e6
                    ));
                }
            };
            let d = variant.config().describe();
            let mut card = Card {
                variant: variant.name().into(),
                pretrained: false,
                backend: kind.id().into(),
                top5: Vec::new(),
                latency_ms: 0.0,
                cold_ms: None,
                params: d.params,
                flops: d.flops,
                crop_size: d.resolution,
                cam_peak: None,
                error: None,
                crop: None,
                cams: None,
            };
            match ensure_model_with(state, variant, kind, &progress).await {
                Err(e) => card.error = Some(e),
                Ok(loaded) => {
                    card.pretrained = loaded.weights.is_some();
                    set_progress(format!("running {variant} on {}…", kind.label()));
                    js::sleep(0).await;
                    let with_cams = state.cam.with_untracked(|c| c.enabled);
                    // A network's first run is cold (shader compilation, allocation): run it once
                    // more so the card shows what this device does warm.
                    let runs = if loaded.timings().cold_ms.is_none() {
                        2
                    } else {
                        1
                    };
                    for _ in 0..runs {
                        match run_model(&loaded, &image, kind, with_cams, &stale).await {
                            Ok(None) => return,
                            Err(e) => {
                                card.error = Some(e);
                                break;
                            }
                            Ok(Some(out)) => {
                                let timings = loaded.record(out.latency_ms);
                                measurements::record(state, variant, kind, &timings);
                                card.cam_peak = out.cams.as_ref().and_then(|c| {
                                    cam_peak(c, out.top5.first()?.index, out.crop_size)
                                });
                                card.top5 = out.top5;
                                card.latency_ms = out.latency_ms;
                                card.cold_ms = timings.cold_ms;
                                card.crop_size = out.crop_size;
                                card.crop = Some(out.crop);
                                card.cams = out.cams.map(Arc::new);
                            }
                        }
                    }
                }
            }
            if stale() {
                return;
            }
            state.compare.update(|c| {
                c.cards.push(card);
                c.done = i + 1;
            });
        }
        state.compare.update(|c| {
            c.running = false;
            c.progress = format!("Compared {total} variant(s) on {}", kind.label());
            c.runs += 1;
        });
    });
}

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
            {card.error.clone().map(|e| view! { <p class="failed" role="alert">{e}</p> })}
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
    let state = expect_context::<AppState>();
    let ticks = Variant::ALL
        .into_iter()
        .map(|v| {
            let pretrained = move || state.manifest.with(|m| m.entry(v).is_some());
            view! {
                <label class="tick" class:random=move || !pretrained()>
                    <input
                        type="checkbox"
                        data-testid=format!("compare-tick-{}", v.name())
                        prop:checked=move || chosen(state).contains(&v)
                        on:change=move |_| toggle(state, v)
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
                <button data-testid="compare-run" disabled=move || state.compare.with(|c| c.running) on:click=move |_| run(state)>
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
