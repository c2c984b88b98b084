//! Bench mode (`?bench`, optionally `&variants=lite0,b0&runs=5&backend=webgpu|cpu`): for each
//! variant, on the backend the page started on, the weights load time, one cold inference and
//! `runs` warm ones on a fixed synthetic gradient image. It goes through the page's own
//! `ensure_model` and `classify`, publishes to `window.__effnet.bench` (via `test_hooks`) and
//! shows a small table. `tools/bench_browser.mjs` drives it.
//!
//! `&input=WxH` makes the gradient `W × H` instead of the variant's input size, so the rows'
//! preprocessing and total times show what cropping a camera frame or a photo costs (compare
//! with `&prep=cpu`).
//!
//! `&soak=N` then runs the first variant N more times in a row the way the webcam does
//! (`InputKind::Webcam`, activation maps on, two alternating frames) and samples the page's
//! memory every tenth of the way: a leak shows as growth after the warm-up.

use std::rc::Rc;

use effnet::Variant;
use effnet::session::Interest;
use effnet::stats::median;
use leptos::prelude::*;

use super::memory_sample;
use crate::app::actions::classify::classify;
use crate::app::actions::load::ensure_model;
use crate::app::actions::{self, App};
use crate::app::engine::synthetic::{gradient, gradient_wh, mirrored};
use crate::app::platform::js;
use crate::app::state::AppState;
use crate::app::state::activity::Activity;
use crate::app::state::backend::BackendKind;
use crate::app::state::bench::{BenchRow, BenchState, Profile, Soak};
use crate::app::state::load::LoadState;
use crate::app::state::options::BenchOptions;
use crate::app::state::results::InputKind;

/// The variants to bench: `?variants=` or every variant with weights in the manifest, plus B0
/// (randomly initialised when it has none).
fn variants(
    state: AppState,
    asked: &Option<Result<Vec<Variant>, String>>,
) -> Result<Vec<Variant>, String> {
    if let Some(list) = asked {
        return list.clone();
    }
    Ok(Variant::ALL
        .into_iter()
        .filter(|&v| v == Variant::B0 || state.manifest.with_untracked(|m| m.entry(v).is_some()))
        .collect())
}

fn stats(values: &[f64]) -> (Option<f64>, Option<f64>, Option<f64>) {
    let min = values.iter().copied().reduce(f64::min);
    let max = values.iter().copied().reduce(f64::max);
    (median(values), min, max)
}

/// Runs the bench (called once the manifest is read and the backend has started).
pub async fn run(app: App, options: BenchOptions) {
    let state = app.state;
    let runs = options.runs;
    let (kind, adapter) = state.backend.with_untracked(|b| {
        let adapter = b
            .gpu
            .as_ref()
            .and_then(|g| g.adapter())
            .map(|i| i.summary());
        (b.active, adapter)
    });
    let mut bench = BenchState {
        backend: kind.map(|k| k.id().to_string()),
        adapter,
        runs,
        ..Default::default()
    };
    let Some(kind) = kind else {
        bench.error = Some("no backend started".into());
        bench.done = true;
        state.bench.set(Some(bench));
        return;
    };
    if let Some(wanted) = &options.backend
        && wanted != kind.id()
    {
        bench.error = Some(format!(
            "?backend={wanted} was asked for but the page runs on {}",
            kind.id()
        ));
    }
    let (list, input) = match variants(state, &options.variants)
        .and_then(|list| Ok((list, options.input.clone()?)))
    {
        Ok(setup) => setup,
        Err(e) => {
            bench.error = Some(e);
            bench.done = true;
            state.bench.set(Some(bench));
            return;
        }
    };
    bench.variants = list.iter().map(|v| v.name().to_string()).collect();
    // Activation maps cost a second readback per run: not part of what is timed.
    actions::set_cam(app, |c| c.enabled = false);
    state.bench.set(Some(bench));

    for &variant in &list {
        // Show `variant` (as select_variant does, without its automatic re-run).
        let ticket = app.begin(None, bench_step(format!("loading {variant}…")));
        actions::show_variant(app, variant);
        let mut row = BenchRow {
            variant: variant.name().to_string(),
            ..Default::default()
        };
        actions::say(app, bench_step(format!("loading {variant}…")));
        let started = js::now();
        let loaded = ensure_model(app, variant, kind, Interest::Request(ticket), None).await;
        let elapsed = js::now() - started;
        match loaded {
            Err(e) => row.error = Some(e.to_string()),
            Ok(loaded) => {
                row.pretrained = loaded.weights.is_some();
                row.precision = loaded.precision;
                match state.load.get_untracked() {
                    LoadState::Loaded { ms, from_cache, .. } => {
                        row.load_ms = Some(ms);
                        row.from_cache = from_cache;
                    }
                    _ => row.load_ms = Some(elapsed),
                }
                let size = loaded.preprocessing.size;
                let (w, h) = input.unwrap_or((size, size));
                let image = Rc::new(gradient_wh(w, h));
                let name = format!("bench gradient {w}×{h}");
                row.input = format!("{w}x{h}");
                let mut warm = Vec::new();
                let (mut prep, mut total) = (Vec::new(), Vec::new());
                for i in 0..=runs {
                    let Some(result) = classify(
                        app,
                        image.clone(),
                        name.clone(),
                        InputKind::Image,
                        js::now(),
                    )
                    .await
                    else {
                        row.error =
                            Some(state.error.get_untracked().map_or_else(
                                || "the run gave no result".into(),
                                |e| e.to_string(),
                            ));
                        break;
                    };
                    row.gpu_preprocess = result.gpu_preprocess;
                    if i == 0 {
                        row.cold_ms = Some(result.latency_ms);
                    } else {
                        warm.push(result.latency_ms);
                        prep.push(result.preprocess_ms);
                        total.push(result.preprocess_ms + result.latency_ms);
                    }
                }
                (row.warm_median_ms, row.warm_min_ms, row.warm_max_ms) = stats(&warm);
                row.runs = warm.len();
                row.prep_median_ms = median(&prep);
                row.total_median_ms = median(&total);
                row.memory = Some(memory_sample(app, 0, kind));
            }
        }
        state
            .bench
            .update(|b| b.get_or_insert_with(Default::default).rows.push(row));
    }
    if options.profile
        && let Some(&variant) = list.first()
    {
        let profile = profile(app, variant, kind, runs.max(1)).await;
        state
            .bench
            .update(|b| b.get_or_insert_with(Default::default).profile = Some(profile));
    }
    if let Some(n) = options.soak
        && let Some(&variant) = list.first()
    {
        soak(app, variant, kind, n).await;
    }
    state.bench.update(|b| {
        if let Some(b) = b {
            b.done = true;
        }
    });
    actions::say(app, Activity::BenchDone);
}

fn bench_step(note: String) -> Activity {
    Activity::Benchmarking { note }
}

/// Part-by-part timing of `variant` on `kind` (see `profile`).
async fn profile(app: App, variant: Variant, kind: BackendKind, runs: usize) -> Profile {
    actions::say(app, bench_step(format!("profiling {variant}…")));
    let mut p = Profile {
        variant: variant.name().into(),
        backend: kind.id().into(),
        runs,
        ..Default::default()
    };
    let result = async {
        let ticket = app.engine().session.ticket();
        let loaded = ensure_model(app, variant, kind, Interest::Request(ticket), None)
            .await
            .map_err(|e| e.to_string())?;
        let device = app.engine().device(kind).ok_or("no device")?;
        let size = loaded.preprocessing.size;
        let (input, _) = loaded.preprocessing.apply(&gradient(size));
        let x = burn::tensor::Tensor::<4>::from_data(
            burn::tensor::TensorData::new(input, [1, 3, size, size]),
            &device,
        );
        let model = loaded
            .model()
            .ok_or("profiling reads the network on the page's thread (?worker=off)")?;
        super::profile::profile(model, x, runs).await
    }
    .await;
    match result {
        Ok((sync_ms, rows)) => {
            p.sync_ms = sync_ms;
            p.rows = rows;
        }
        Err(e) => p.error = Some(e),
    }
    p
}

/// `n` webcam-mode inferences of `variant` in a row, memory sampled every tenth of the way.
async fn soak(app: App, variant: Variant, kind: BackendKind, n: usize) {
    let state = app.state;
    app.begin(None, bench_step(format!("soak {variant}")));
    actions::show_variant(app, variant);
    actions::set_cam(app, |c| c.enabled = true);
    let size = variant.config().resolution;
    let frames = [Rc::new(gradient(size)), Rc::new(mirrored(&gradient(size)))];
    let mut soak = Soak {
        variant: variant.name().into(),
        asked: n,
        ..Default::default()
    };
    let publish = |soak: &Soak| {
        state
            .bench
            .update(|b| b.get_or_insert_with(Default::default).soak = Some(soak.clone()))
    };
    let warm_up = 10.min(n);
    let every = (n / 10).max(1);
    let mut times = Vec::with_capacity(n);
    for i in 0..warm_up + n {
        if i == warm_up {
            soak.samples.push(memory_sample(app, 0, kind));
        }
        actions::say(
            app,
            bench_step(format!(
                "soak {variant}, run {} of {n}",
                i.saturating_sub(warm_up)
            )),
        );
        let frame = frames[i % 2].clone();
        match classify(app, frame, "soak".into(), InputKind::Webcam, js::now()).await {
            Some(r) if i >= warm_up => times.push(r.latency_ms),
            Some(_) => {}
            None => soak.failures += 1,
        }
        let done = i + 1 - warm_up.min(i + 1);
        if i >= warm_up && (done % every == 0 || done == n) {
            soak.runs = done;
            soak.samples.push(memory_sample(app, done, kind));
            publish(&soak);
        }
    }
    soak.median_ms = stats(&times).0;
    if let (Some(first), Some(last)) = (soak.samples.first(), soak.samples.last()) {
        soak.wasm_growth_bytes = Some(last.wasm_bytes - first.wasm_bytes);
        soak.js_heap_growth_bytes = last
            .js_heap_bytes
            .zip(first.js_heap_bytes)
            .map(|(a, b)| a - b);
        soak.gpu_in_use_growth_bytes = last
            .gpu_in_use_bytes
            .zip(first.gpu_in_use_bytes)
            .map(|(a, b)| a - b);
        soak.gpu_reserved_growth_bytes = last
            .gpu_reserved_bytes
            .zip(first.gpu_reserved_bytes)
            .map(|(a, b)| a - b);
    }
    soak.done = true;
    publish(&soak);
}

fn ms(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0}")).unwrap_or_else(|| "–".into())
}

/// The results table (only in bench mode).
#[component]
pub fn BenchPanel() -> impl IntoView {
    let state = expect_context::<App>().state;
    let bench = move || state.bench.get();
    view! {
        <Show when=move || state.bench.with(Option::is_some)>
            <section class="panel bench" aria-label="Bench" data-testid="bench"
                data-done=move || bench().map(|b| b.done).unwrap_or(false).to_string()>
                <h2>"Bench"</h2>
                <p>
                    {move || bench().map(|b| format!(
                        "Backend {} · adapter {} · {} warm runs{}",
                        b.backend.unwrap_or_else(|| "?".into()),
                        b.adapter.unwrap_or_else(|| "none".into()),
                        b.runs,
                        if b.done { " · done" } else { " · running…" },
                    )).unwrap_or_default()}
                </p>
                <Show when=move || bench().and_then(|b| b.error).is_some()>
                    <p class="error">{move || bench().and_then(|b| b.error).unwrap_or_default()}</p>
                </Show>
                <table>
                    <thead>
                        <tr>
                            <th>"Variant"</th><th>"Weights"</th><th>"Load ms"</th><th>"Cold ms"</th>
                            <th>"Warm median ms"</th><th>"Warm min–max ms"</th><th>"Runs"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || bench().map(|b| b.rows).unwrap_or_default().into_iter().map(|r| view! {
                            <tr data-variant=r.variant.clone()>
                                <td>{r.variant.clone()}</td>
                                <td>{if r.pretrained { "pretrained" } else { "random" }}</td>
                                <td>{format!("{}{}", ms(r.load_ms), if r.from_cache { " (cache)" } else { "" })}</td>
                                <td>{ms(r.cold_ms)}</td>
                                <td>{ms(r.warm_median_ms)}</td>
                                <td>{format!("{}–{}", ms(r.warm_min_ms), ms(r.warm_max_ms))}</td>
                                <td>{r.error.clone().map(|e| format!("error: {e}")).unwrap_or_else(|| r.runs.to_string())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </Show>
    }
}
