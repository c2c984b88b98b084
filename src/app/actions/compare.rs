//! The compare view's run: the current image through the ticked variants, one after another,
//! as one request (a newer request, e.g. another variant or image, stops it).

use std::collections::BTreeSet;
use std::rc::Rc;
use std::sync::Arc;

use effnet::Variant;
use effnet::session::Interest;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::App;
use super::classify::publish;
use super::load::ensure_model;
use crate::app::platform::js;
use crate::app::state::AppState;
use crate::app::state::activity::Activity;
use crate::app::state::compare::Card;
use crate::app::state::error::AppError;
use crate::app::state::load::{LoadState, ManifestState};
use crate::app::state::measurements;
use crate::app::state::results::{InputKind, Parts, cam_peak};

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

pub fn toggle(app: App, variant: Variant) {
    let state = app.state;
    let mut set = chosen(state);
    if !set.remove(&variant) {
        set.insert(variant);
    }
    state.compare.update(|c| c.chosen = Some(set));
}

/// Runs the current image through the ticked variants, one after another.
pub fn run(app: App) {
    let state = app.state;
    let engine = app.engine();
    let Some((image, name)) = engine.session.image() else {
        state.error.set(Some(AppError::NeedImage));
        return;
    };
    let Some(kind) = state.backend.with_untracked(|b| b.active) else {
        return;
    };
    let variants: Vec<Variant> = chosen(state).into_iter().collect();
    if variants.is_empty() {
        state.error.set(Some(AppError::NeedVariant));
        return;
    }
    // The comparison works on the still image: the webcam stops.
    if super::webcam::running(app) {
        super::webcam::stop(app, None);
    }
    let total = variants.len();
    let on_screen = state.variant.get_untracked();
    let ticket = app.begin(
        Some(name.clone()),
        Activity::Comparing {
            done: 0,
            total,
            variant: variants[0],
            backend: kind,
        },
    );
    state.compare.update(|c| {
        c.running = true;
        c.cards.clear();
        c.done = 0;
        c.total = total;
        c.input = Some(name.clone());
    });
    let stopped = move || {
        state.compare.update(|c| {
            c.running = false;
            c.progress = "Stopped: a newer request came first".into();
        })
    };
    spawn_local(async move {
        let stale = || !engine.session.is_current(ticket);
        for (i, variant) in variants.into_iter().enumerate() {
            if stale() {
                return stopped();
            }
            let set_progress = move |what: String| {
                state
                    .compare
                    .update(|c| c.progress = format!("{}/{total} · {what}", i + 1))
            };
            set_progress(format!("loading {variant}…"));
            app.show(
                ticket,
                Activity::Comparing {
                    done: i,
                    total,
                    variant,
                    backend: kind,
                },
            );
            let progress = Rc::new(move |s: LoadState| {
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
            });
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
            match ensure_model(
                app,
                variant,
                kind,
                Interest::Request(ticket),
                Some(progress),
            )
            .await
            {
                Err(AppError::Cancelled) => return stopped(),
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
                        match engine
                            .run(&loaded, &image, kind, with_cams, Some(ticket))
                            .await
                        {
                            Err(AppError::Cancelled) => return stopped(),
                            Err(e) => {
                                card.error = Some(e);
                                break;
                            }
                            Ok(out) => {
                                card.cam_peak = out.cams.as_ref().and_then(|c| {
                                    cam_peak(c, out.top5.first()?.index, out.crop_size)
                                });
                                card.top5 = out.top5.clone();
                                card.latency_ms = out.latency_ms;
                                card.crop_size = out.crop_size;
                                card.crop = Some(out.crop.clone());
                                card.cams = out.cams.clone().map(Arc::new);
                                if variant == on_screen {
                                    // The variant on screen: its card is the stage's result too
                                    // (what came before its run: the comparison's earlier part).
                                    let began = state.screen.with_untracked(|s| s.began_ms);
                                    let parts = Parts {
                                        before_ms: (js::now() - began - out.latency_ms).max(0.0),
                                        run_ms: out.latency_ms,
                                        ..Parts::default()
                                    };
                                    let input = name.clone();
                                    publish(
                                        app,
                                        ticket,
                                        &loaded,
                                        out,
                                        input,
                                        InputKind::Image,
                                        variant,
                                        kind,
                                        parts,
                                    );
                                } else {
                                    let timings = loaded.record(out.latency_ms);
                                    state.measured.update(|m| {
                                        measurements::record(m, variant, kind, &timings)
                                    });
                                }
                                card.cold_ms = loaded.timings().cold_ms;
                            }
                        }
                    }
                }
            }
            if stale() {
                return stopped();
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
        app.show(
            ticket,
            Activity::Compared {
                total,
                backend: kind,
            },
        );
    });
}
