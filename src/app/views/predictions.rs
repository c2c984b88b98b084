//! The result: top-5 with probability bars (each shows its class's activation map), a polite
//! live region that announces the top class, latencies and the backend.

use leptos::prelude::*;

use crate::app::actions::App;

use crate::app::actions;
use crate::app::state::activation_map::shown_class;
use crate::app::state::backend::Precision;

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0} ms"))
        .unwrap_or_else(|| "–".into())
}

#[component]
pub fn Predictions() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let choose = move |class: usize| actions::set_cam(app, |s| s.class = Some(class));
    let has_result = move || state.result.with(Option::is_some);
    // The top class, said once per change (a webcam that keeps seeing the same thing is quiet).
    let announce = Memo::new(move |_| {
        state.result.with(|r| {
            r.as_ref()
                .and_then(|r| {
                    r.top5
                        .first()
                        .map(|p| format!("Top class ({}): {}", r.variant, p.label))
                })
                .unwrap_or_default()
        })
    });
    view! {
        <section class="panel predictions" aria-label="Predictions" data-testid="predictions">
            <h2>"Predictions"</h2>
            <p class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announce">{announce}</p>
            <Show when=has_result fallback=|| view! { <p class="hint" data-testid="no-result">"No result yet."</p> }>
                {move || {
                    state
                        .result
                        .get()
                        .map(|r| {
                            let random = !r.pretrained;
                            view! {
                                <div
                                    class="result"
                                    data-testid="result"
                                    data-variant=r.variant.clone()
                                    data-backend=r.backend.clone()
                                    data-generation=r.generation.to_string()
                                    data-pretrained=r.pretrained.to_string()
                                >
                                    {random
                                        .then(|| {
                                            view! {
                                                <p class="random-warning" data-testid="random-warning" role="alert">
                                                    "No weights here: random initialisation. These predictions are meaningless."
                                                </p>
                                            }
                                        })}
                                    <ol class="top5">
                                        {r
                                            .top5
                                            .iter()
                                            .enumerate()
                                            .map(|(i, p)| {
                                                let pct = p.prob * 100.0;
                                                let class = p.index;
                                                let cams = r.cams.clone();
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
                                                        data-testid=format!("prediction-{i}")
                                                        data-index=p.index.to_string()
                                                        data-label=p.label.clone()
                                                        data-prob=format!("{:.6}", p.prob)
                                                    >
                                                        <button
                                                            class="pick"
                                                            title="Show where the network sees this class"
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
                                </div>
                            }
                        })
                }}
            </Show>
        </section>
    }
}
