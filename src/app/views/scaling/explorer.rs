//! The compound-scaling explorer: a φ slider setting d = α^φ, w = β^φ, r = γ^φ × 224 (α = 1.2,
//! β = 1.1, γ = 1.15), free sliders for each, the resulting architecture, parameters and
//! FLOPs, where it sits among the B presets, and a button that builds the configuration (random
//! initialisation) and times it on this device. The sliders' ranges come from the presets.

use effnet::config::{ALPHA, BASE_RESOLUTION, BETA, GAMMA};
use effnet::{EfficientNetConfig, Family, Variant};
use leptos::prelude::*;

use crate::app::actions::App;
use leptos::task::spawn_local;

use super::ArchitecturePicture;
use crate::app::actions::explorer::time_custom;
use crate::app::state::error::AppError;
use crate::app::views::format::{billions, millions};

/// The B presets, B0 first (Bn is the preset of φ = n).
fn b_presets() -> Vec<Variant> {
    Family::B.presets().collect()
}

/// How far each slider goes: φ to the largest B preset's; width, depth and resolution a quarter
/// (a twentieth for resolution) beyond the largest of the presets and of the formula there.
struct Ranges {
    phi: f64,
    width: f64,
    depth: f64,
    resolution: f64,
}

fn ranges() -> Ranges {
    let presets = b_presets();
    let phi = presets.len().saturating_sub(1) as f64;
    let top = EfficientNetConfig::from_phi(phi);
    let most = |f: fn(&EfficientNetConfig) -> f64| {
        presets
            .iter()
            .map(|v| f(&v.config()))
            .fold(f(&top), f64::max)
    };
    let round_up = |x: f64, step: f64| (x / step).ceil() * step;
    Ranges {
        phi,
        width: round_up(most(|c| c.width) * 1.25, 0.5),
        depth: round_up(most(|c| c.depth) * 1.25, 0.5),
        resolution: round_up(most(|c| c.resolution as f64) * 1.05, 64.0),
    }
}

/// Multipliers at compound coefficient `phi` (resolution rounded to a multiple of 4, as
/// `EfficientNetConfig::from_phi` does).
fn at_phi(phi: f64) -> (f64, f64, usize) {
    let c = EfficientNetConfig::from_phi(phi);
    (c.width, c.depth, c.resolution)
}

/// What the custom run measured.
#[derive(Debug, Clone, PartialEq)]
enum Timing {
    None,
    Running,
    Done {
        name: String,
        cold_ms: f64,
        warm_ms: f64,
        backend: &'static str,
    },
    Failed(AppError),
}

#[component]
pub fn Explorer() -> impl IntoView {
    let app = expect_context::<App>();
    let phi = RwSignal::new(0.0f64);
    let width = RwSignal::new(1.0f64);
    let depth = RwSignal::new(1.0f64);
    let resolution = RwSignal::new(BASE_RESOLUTION);
    let range = ranges();
    let timing = RwSignal::new(Timing::None);
    let set_phi = move |p: f64| {
        let (w, d, r) = at_phi(p);
        phi.set(p);
        width.set(w);
        depth.set(d);
        resolution.set(r);
    };
    let config = Memo::new(move |_| {
        EfficientNetConfig::new(
            "custom".into(),
            Family::B,
            width.get(),
            depth.get(),
            resolution.get(),
            0.2,
        )
    });
    let description = Memo::new(move |_| config.with(|c| c.describe()));
    let nearest = move || {
        let flops = description.with(|d| d.flops) as f64;
        b_presets().into_iter().min_by(|a, b| {
            let f = |v: &Variant| (v.config().describe().flops as f64 / flops).ln().abs();
            f(a).total_cmp(&f(b))
        })
    };
    let official = move || {
        let p = phi.get();
        (p.fract() == 0.0 && p >= 0.0)
            .then(|| b_presets().get(p as usize).copied())
            .flatten()
    };
    let run_custom = move |_| {
        let config = config.get_untracked();
        timing.set(Timing::Running);
        spawn_local(async move {
            let name = format!(
                "w {:.2} · d {:.2} · {}²",
                config.width, config.depth, config.resolution
            );
            timing.set(match time_custom(app, config).await {
                Ok((cold_ms, warm_ms, kind)) => Timing::Done {
                    name,
                    cold_ms,
                    warm_ms,
                    backend: kind.id(),
                },
                Err(e) => Timing::Failed(e),
            });
        });
    };
    let slider = move |label: &'static str,
                       testid: &'static str,
                       min: f64,
                       max: f64,
                       step: f64,
                       value: Signal<f64>,
                       set: Callback<f64>| {
        view! {
            <label class="slider">
                <span>{label}</span>
                <input
                    type="range"
                    min=min
                    max=max
                    step=step
                    data-testid=testid
                    prop:value=move || value.get().to_string()
                    on:input=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse::<f64>() {
                            set.run(v);
                        }
                    }
                />
                <output>{move || format!("{:.2}", value.get())}</output>
            </label>
        }
    };
    let preset_rows = move || {
        let mine = description.get();
        let mut rows: Vec<(String, f64, f64, usize, u64, u64, bool)> = b_presets()
            .into_iter()
            .map(|v| {
                let d = v.config().describe();
                (
                    v.to_string()
                        .trim_start_matches("EfficientNet-")
                        .to_string(),
                    d.width,
                    d.depth,
                    d.resolution,
                    d.params,
                    d.flops,
                    false,
                )
            })
            .collect();
        rows.push((
            "this configuration".into(),
            mine.width,
            mine.depth,
            mine.resolution,
            mine.params,
            mine.flops,
            true,
        ));
        rows.sort_by_key(|r| r.5);
        rows.into_iter()
            .map(|(name, w, d, r, p, f, mine)| {
                let testid = if mine {
                    "explorer-mine".to_string()
                } else {
                    format!("explorer-preset-efficientnet-{}", name.to_lowercase())
                };
                view! {
                    <tr class:mine=mine data-testid=testid>
                        <td>{name}</td>
                        <td>{format!("{w:.2}")}</td>
                        <td>{format!("{d:.2}")}</td>
                        <td>{r}</td>
                        <td>{millions(p)}</td>
                        <td>{billions(f)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="panel explorer" aria-label="Compound scaling explorer" data-testid="explorer">
            <h2>"Compound scaling explorer"</h2>
            <p class="hint">
                {format!("EfficientNet scales depth, width and resolution together: d = α^φ, w = β^φ, r = γ^φ · {BASE_RESOLUTION} with α = {ALPHA}, β = {BETA}, γ = {GAMMA} (α·β²·γ² ≈ 2, so each step of φ about doubles the FLOPs). Move φ, or each multiplier by itself.")}
            </p>
            <div class="sliders">
                {slider("φ", "phi", 0.0, range.phi, 0.1, phi.into(), Callback::new(set_phi))}
                {slider("width w", "width", 0.5, range.width, 0.05, width.into(), Callback::new(move |v| width.set(v)))}
                {slider("depth d", "depth", 0.5, range.depth, 0.05, depth.into(), Callback::new(move |v| depth.set(v)))}
                {slider("resolution r", "resolution", 128.0, range.resolution, 4.0, Signal::derive(move || resolution.get() as f64), Callback::new(move |v: f64| resolution.set(v as usize)))}
            </div>
            <dl class="facts explorer-facts" data-testid="explorer-facts"
                data-phi=move || format!("{:.1}", phi.get())
                data-width=move || format!("{:.4}", width.get())
                data-depth=move || format!("{:.4}", depth.get())
                data-resolution=move || resolution.get()
                data-params=move || description.with(|d| d.params)
                data-flops=move || description.with(|d| d.flops)
            >
                <dt>"Formula at φ"</dt>
                <dd data-testid="explorer-formula">{move || {
                    let (w, d, r) = at_phi(phi.get());
                    format!("φ = {:.1}: w = {BETA}^φ = {w:.2}, d = {ALPHA}^φ = {d:.2}, r = {GAMMA}^φ · {BASE_RESOLUTION} ≈ {r}", phi.get())
                }}</dd>
                <dt>"Official preset"</dt>
                <dd data-testid="explorer-official">{move || match official() {
                    Some(v) => {
                        let (w, d, r, _) = v.coefficients();
                        format!("{v}: w = {w:.2}, d = {d:.2}, r = {r} — the published presets beyond φ = 0 were rounded and hand-tuned, not taken straight from the formula")
                    }
                    None => "φ is not a whole number: no published preset".into(),
                }}</dd>
                <dt>"Params"</dt>
                <dd>{move || millions(description.with(|d| d.params))}</dd>
                <dt>"FLOPs"</dt>
                <dd>{move || billions(description.with(|d| d.flops))}</dd>
                <dt>"Closest preset by FLOPs"</dt>
                <dd data-testid="explorer-nearest">{move || nearest().map(|v| v.to_string()).unwrap_or_default()}</dd>
            </dl>
            <div class="explorer-body">
                <ArchitecturePicture config=Signal::derive(move || config.get()) testid="explorer-picture"/>
                <div class="scroll" tabindex="0" role="region" aria-label="The published presets">
                    <table class="preset-table" data-testid="explorer-presets">
                        <thead><tr><th>""</th><th>"w"</th><th>"d"</th><th>"r"</th><th>"Params"</th><th>"FLOPs"</th></tr></thead>
                        <tbody>{preset_rows}</tbody>
                    </table>
                </div>
            </div>
            <div class="buttons">
                <button data-testid="explorer-run" disabled=move || timing.get() == Timing::Running on:click=run_custom>
                    "Build and time this configuration here"
                </button>
            </div>
            <p class="explorer-timing" data-testid="explorer-timing"
                data-state=move || match timing.get() {
                    Timing::None => "none",
                    Timing::Running => "running",
                    Timing::Done { .. } => "done",
                    Timing::Failed(_) => "failed",
                }
            >
                {move || match timing.get() {
                    Timing::None => String::new(),
                    Timing::Running => "Building with random weights and running twice…".into(),
                    Timing::Done { name, cold_ms, warm_ms, backend } => format!(
                        "{name} on {backend}: first run {cold_ms:.0} ms, second {warm_ms:.0} ms. Random initialisation: the latency is real, any prediction would be meaningless."
                    ),
                    Timing::Failed(e) => format!("The custom configuration failed: {e}"),
                }}
            </p>
        </section>
    }
}
