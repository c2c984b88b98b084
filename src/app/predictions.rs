//! The result: top-5 with probability bars, the crop the network saw, latencies, backend.

use leptos::prelude::*;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{HtmlCanvasElement, ImageData};

use super::inference::RunResult;
use super::{AppState, js};

fn draw_crop(canvas: &HtmlCanvasElement, result: &RunResult) -> Result<(), String> {
    let crop = &result.crop;
    let rgba: Vec<u8> = crop
        .data
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    canvas.set_width(crop.width as u32);
    canvas.set_height(crop.height as u32);
    let ctx = js::context_2d(canvas)?;
    let data = ImageData::new_with_u8_clamped_array_and_sh(
        Clamped(&rgba),
        crop.width as u32,
        crop.height as u32,
    )
    .map_err(|e| js::error_text(&e))?;
    ctx.put_image_data(&data, 0.0, 0.0)
        .map_err(|e| js::error_text(&e))
}

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0} ms"))
        .unwrap_or_else(|| "–".into())
}

#[component]
pub fn Predictions() -> impl IntoView {
    let state = expect_context::<AppState>();
    let canvas_ref = NodeRef::<leptos::html::Canvas>::new();
    Effect::new(move |_| {
        let canvas = canvas_ref.get();
        state.result.with(|r| {
            if let (Some(canvas), Some(r)) = (canvas, r) {
                let canvas: HtmlCanvasElement = canvas.unchecked_into();
                if let Err(e) = draw_crop(&canvas, r) {
                    js::log(&format!("effnet: cannot draw the crop: {e}"));
                }
            }
        })
    });
    let has_result = move || state.result.with(Option::is_some);
    view! {
        <section class="panel predictions" aria-label="Predictions" data-testid="predictions">
            <h2>"Predictions"</h2>
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
                                                view! {
                                                    <li
                                                        data-testid=format!("prediction-{i}")
                                                        data-index=p.index.to_string()
                                                        data-label=p.label.clone()
                                                        data-prob=format!("{:.6}", p.prob)
                                                    >
                                                        <span class="label">{p.label.clone()}</span>
                                                        <span class="prob">{format!("{pct:.2} %")}</span>
                                                        <span class="bar">
                                                            <span class="fill" style=format!("width: {pct:.2}%")></span>
                                                        </span>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ol>
                                    <dl class="timings" data-testid="timings">
                                        <dt>"Model"</dt>
                                        <dd>{format!("{} · {}", r.variant, r.weights)}</dd>
                                        <dt>"Backend"</dt>
                                        <dd data-testid="result-backend">{r.backend.clone()}</dd>
                                        <dt>"Input"</dt>
                                        <dd>{r.input.clone()}</dd>
                                        <dt>"This run"</dt>
                                        <dd data-testid="latency" data-ms=format!("{:.1}", r.latency_ms)>
                                            {format!(
                                                "{:.0} ms{} (preprocessing {:.0} ms; main thread busy {:.0} ms)",
                                                r.latency_ms,
                                                if r.cold { ", cold" } else { ", warm" },
                                                r.preprocess_ms,
                                                r.preprocess_ms + r.submit_ms,
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
            <figure class="crop" class:hidden=move || !has_result()>
                <canvas node_ref=canvas_ref data-testid="crop"></canvas>
                <figcaption>
                    {move || state.result.with(|r| r.as_ref().map(|r| format!("What the network saw ({0}×{0})", r.crop_size)).unwrap_or_default())}
                </figcaption>
            </figure>
        </section>
    }
}
