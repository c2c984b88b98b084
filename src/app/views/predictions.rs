//! The answer: the top class large with its probability (the stage's hero), the other four with
//! bars (each shows its class's activation map), what the visitor waited and where the time
//! went, and the model's details folded away. A result of an earlier request stays shown,
//! dimmed and labelled as the previous one, until this request's comes. A polite live region
//! says the top class, its probability, and when the weights are random.

use leptos::prelude::*;

use super::image_view::variant_name;
use super::switching::Switching;
use crate::app::actions;
use crate::app::actions::App;
use crate::app::state::activation_map::shown_class;
use crate::app::state::backend::Precision;
use crate::app::state::results::RunResult;

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0} ms"))
        .unwrap_or_else(|| "–".into())
}

/// "57 ms", "1.6 s".
fn duration(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1} s", v / 1000.0)
    } else {
        format!("{v:.0} ms")
    }
}

/// What the visitor waited and its parts, in words.
fn waited(r: &RunResult) -> String {
    let p = &r.parts;
    let mut parts: Vec<String> = Vec::new();
    let mut part = |what: &str, v: f64| {
        if v >= 0.5 {
            parts.push(format!("{what} {}", duration(v)));
        }
    };
    part("before the run", p.before_ms);
    part("loading the network", p.load_ms);
    part("queued behind earlier work", p.queue_ms);
    part("to the worker and back", p.transfer_ms);
    part("preparing the input", p.preprocess_ms);
    part(
        if r.cold {
            "the first (cold) run"
        } else {
            "the run"
        },
        p.run_ms,
    );
    part("reading the picture back", p.readback_ms);
    let rest = r.waited_ms - p.sum();
    part("drawing and the rest", rest);
    format!(
        "You waited {}: {}.",
        duration(r.waited_ms),
        parts.join(" · ")
    )
}

#[component]
pub fn Predictions() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let choose = move |class: usize| actions::set_cam(app, |s| s.class = Some(class));
    let has_result = move || state.result.with(Option::is_some);
    let stale = move || {
        let current = state.screen.with(|s| s.generation);
        state
            .result
            .with(|r| r.as_ref().is_some_and(|r| r.generation != current))
    };
    // The top class, said once per change (a webcam that keeps seeing the same thing is quiet).
    let announce = Memo::new(move |_| {
        state.result.with(|r| {
            r.as_ref()
                .and_then(|r| {
                    r.top5.first().map(|p| {
                        let random = if r.pretrained {
                            ""
                        } else {
                            ", random weights: meaningless"
                        };
                        format!(
                            "Top class ({}): {}, {:.0} %{random}",
                            r.variant,
                            p.label,
                            p.prob * 100.0
                        )
                    })
                })
                .unwrap_or_default()
        })
    });
    view! {
        <section class="panel predictions" aria-label="Predictions" data-testid="predictions">
            <p class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announce">{announce}</p>
            <Switching/>
            <Show when=has_result fallback=|| view! { <p class="hint" data-testid="no-result">"No result yet."</p> }>
                {move || {
                    state
                        .result
                        .get()
                        .map(|r| {
                            let random = !r.pretrained;
                            let top = r.top5.first().cloned();
                            let rest: Vec<_> = r.top5.iter().cloned().enumerate().collect();
                            let cams = r.cams.clone();
                            let previous = format!(
                                "Previous result: {} on {}",
                                variant_name(&r.variant),
                                r.input
                            );
                            let backend = if r.backend == "webgpu" { "WebGPU" } else { "CPU" };
                            let model = format!("{} · {backend}", variant_name(&r.variant));
                            view! {
                                <div
                                    class="result"
                                    class:stale=stale
                                    data-testid="result"
                                    data-variant=r.variant.clone()
                                    data-backend=r.backend.clone()
                                    data-generation=r.generation.to_string()
                                    data-input=r.input.clone()
                                    data-stale=move || stale().to_string()
                                    data-pretrained=r.pretrained.to_string()
                                >
                                    <Show when=stale>
                                        <p class="stale-label" data-testid="stale-label">
                                            {previous.clone()}
                                        </p>
                                    </Show>
                                    {random
                                        .then(|| {
                                            view! {
                                                <p class="random-warning" data-testid="random-warning" role="alert">
                                                    "No weights here: random initialisation. These predictions are meaningless."
                                                </p>
                                            }
                                        })}
                                    {top.map(|p| view! {
                                        <div class="answer" data-testid="answer" data-index=p.index.to_string()>
                                            <span class="answer-label">{p.label.clone()}</span>
                                            <span class="answer-prob">{format!("{:.0} %", p.prob * 100.0)}</span>
                                            <span class="answer-model">{model.clone()}</span>
                                        </div>
                                    })}
                                    <ol class="top5">
                                        {rest
                                            .into_iter()
                                            .map(|(i, p)| {
                                                let pct = p.prob * 100.0;
                                                let class = p.index;
                                                let cams = cams.clone();
                                                let chosen = move || {
                                                    state.cam.with(|s| {
                                                        s.enabled
                                                            && cams.as_ref().and_then(|c| shown_class(s, c)) == Some(class)
                                                    })
                                                };
                                                let chosen_class = chosen.clone();
                                                view! {
                                                    <li
                                                        class:chosen=chosen_class
                                                        class:first=i == 0
                                                        data-testid=format!("prediction-{i}")
                                                        data-index=p.index.to_string()
                                                        data-label=p.label.clone()
                                                        data-prob=format!("{:.6}", p.prob)
                                                    >
                                                        <button
                                                            class="pick"
                                                            title="Show where the network found this class"
                                                            aria-pressed=move || chosen().to_string()
                                                            on:click=move |_| choose(class)
                                                        >
                                                            <span class="label">{p.label.clone()}</span>
                                                            <span class="prob">{format!("{pct:.2} %")}</span>
                                                            <span class="bar" aria-hidden="true">
                                                                <span class="fill" style=("width", format!("{pct:.2}%"))></span>
                                                            </span>
                                                        </button>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ol>
                                    <p class="waited" data-testid="waited"
                                        data-ms=format!("{:.1}", r.waited_ms)
                                        data-parts-ms=format!("{:.1}", r.parts.sum())
                                    >
                                        {waited(&r)}
                                    </p>
                                    <details class="model-details">
                                        <summary>"The model and the run"</summary>
                                        <dl class="timings" data-testid="timings">
                                            <dt>"Model"</dt>
                                            <dd>{format!("{} · {}", r.variant, r.weights)}</dd>
                                            <dt>"Computed in"</dt>
                                            <dd data-testid="result-precision" data-precision=r.precision.id()>
                                                {match r.precision {
                                                    Precision::F32 => "f32",
                                                    Precision::F16 => "f16 (half precision: logits within ~0.1 of f32)",
                                                }}
                                            </dd>
                                            <dt>"Backend"</dt>
                                            <dd data-testid="result-backend">{r.backend.clone()}</dd>
                                            <dt>"Input"</dt>
                                            <dd>{r.input.clone()}</dd>
                                            <dt>"This run"</dt>
                                            <dd data-testid="latency" data-ms=format!("{:.1}", r.latency_ms)>
                                                {format!(
                                                    "{:.0} ms{} ({}; {} busy {:.0} ms{})",
                                                    r.latency_ms,
                                                    if r.cold { ", cold" } else { ", warm" },
                                                    if r.gpu_preprocess {
                                                        format!("crop and normalisation on the GPU, {:.0} ms to queue", r.preprocess_ms)
                                                    } else {
                                                        format!("preprocessing on the CPU {:.0} ms", r.preprocess_ms)
                                                    },
                                                    if r.in_worker { "worker" } else { "main thread" },
                                                    r.busy_ms,
                                                    if r.yields > 0 { format!(" in {} slices", r.yields + 1) } else { String::new() },
                                                )}
                                            </dd>
                                            <dt>"Cold (first run)"</dt>
                                            <dd data-testid="cold-latency">{ms(r.cold_ms)}</dd>
                                            <dt>"Warm (median)"</dt>
                                            <dd data-testid="warm-latency">
                                                {format!("{} over {} run(s)", ms(r.warm_median_ms), r.warm_runs)}
                                            </dd>
                                        </dl>
                                    </details>
                                </div>
                            }
                        })
                }}
            </Show>
        </section>
    }
}
