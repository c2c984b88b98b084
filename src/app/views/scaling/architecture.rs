//! A variant drawn stage by stage in SVG: bar width ∝ output channels, bar height ∝ number of
//! blocks, and the input image as a square ∝ resolution. Every variant has the same nine rows,
//! so changing the configuration moves the same elements and CSS transitions animate it.

use effnet::describe::Description;
use effnet::{EfficientNetConfig, Variant};
use leptos::prelude::*;

/// Drawing area (SVG user units): the bars on the left, their labels on the right.
const WIDTH: f64 = 640.0;
const BAR_AREA: f64 = 300.0;
/// The head (1280–2560 channels) is drawn at a quarter of the stages' scale, and says so.
pub const HEAD_SCALE: f64 = 0.25;
/// Height of one block, and the gap between stages.
const UNIT: f64 = 6.0;
const GAP: f64 = 6.0;
const SQUARE: f64 = 90.0;

/// What the drawing's full sizes stand for, from the presets: the widest stage (the head
/// apart) of any preset fills the bar area, the largest input side the square.
struct Scale {
    channels: f64,
    resolution: f64,
}

fn scale() -> Scale {
    let described: Vec<Description> = Variant::ALL.iter().map(|v| v.config().describe()).collect();
    let channels = described
        .iter()
        .flat_map(|d| {
            let stages = d.stages.len().saturating_sub(1);
            d.stages[..stages].iter().map(|s| s.out_channels)
        })
        .max()
        .unwrap_or(1);
    let resolution = described.iter().map(|d| d.resolution).max().unwrap_or(1);
    Scale {
        channels: channels as f64,
        resolution: resolution as f64,
    }
}

/// Geometry of one row: (x, y, width, height) of the bar.
pub fn layout(d: &Description) -> Vec<(f64, f64, f64, f64)> {
    let full = scale().channels;
    let mut y = SQUARE + 2.0 * GAP;
    let last = d.stages.len().saturating_sub(1);
    d.stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            // Linear in channels (a square-root scale would hide the growth), thin stages kept
            // visible.
            let scale = if i == last { HEAD_SCALE } else { 1.0 };
            let w = (s.out_channels as f64 * scale / full * BAR_AREA).max(3.0);
            let h = s.repeats as f64 * UNIT;
            let row = (20.0 + (BAR_AREA - w) / 2.0, y, w, h);
            y += h + GAP;
            row
        })
        .collect()
}

/// The picture of `config` (reactive).
#[component]
pub fn ArchitecturePicture(
    #[prop(into)] config: Signal<EfficientNetConfig>,
    #[prop(into)] testid: String,
) -> impl IntoView {
    let description = Memo::new(move |_| config.with(|c| c.describe()));
    let rows = Memo::new(move |_| description.with(layout));
    let height = move || {
        rows.with(|r| r.last().map(|&(_, y, _, h)| y + h + GAP).unwrap_or(100.0))
            .max(420.0)
    };
    let full_resolution = scale().resolution;
    let square = move || description.with(|d| d.resolution as f64 / full_resolution * SQUARE);
    let stage_count = description.with_untracked(|d| d.stages.len());
    let bars = (0..stage_count)
        .map(|i| {
            let geom = move || rows.with(|r| r.get(i).copied().unwrap_or_default());
            let row = move || description.with(|d| d.stages.get(i).cloned());
            // The whole row in words (the bar's tooltip, and the list under the picture where
            // it is narrow); on the picture a short line that fits its width.
            let label = move || {
                row().map(|s| {
                    let note = if i + 1 == stage_count { " (bar at ¼ scale)" } else { "" };
                    format!(
                        "{} · ×{} · {}→{} ch{note} · {}²",
                        s.operator, s.repeats, s.in_channels, s.out_channels, s.out_resolution
                    )
                })
            };
            let short = move || {
                row().map(|s| {
                    format!(
                        "{} ×{} · {} ch · {}²",
                        s.operator,
                        s.repeats,
                        s.out_channels,
                        s.out_resolution
                    )
                })
            };

            view! {
                <g class="stage" data-stage=i + 1 data-channels=move || row().map(|s| s.out_channels).unwrap_or(0) data-repeats=move || row().map(|s| s.repeats).unwrap_or(0)>
                    <rect
                        class=if i == 0 || i + 1 == stage_count { "bar end" } else { "bar" }
                        style:x=move || format!("{:.1}px", geom().0)
                        style:y=move || format!("{:.1}px", geom().1)
                        style:width=move || format!("{:.1}px", geom().2)
                        style:height=move || format!("{:.1}px", geom().3)
                        rx="2"
                    >
                        <title>{label}</title>
                    </rect>
                    <text
                        class="stage-label wide-label"
                        x=BAR_AREA + 32.0
                        style:transform=move || {
                            let (_, y, _, h) = geom();
                            format!("translateY({:.1}px)", y + h / 2.0 + 4.0)
                        }
                    >
                        {short}
                    </text>
                </g>
            }
        })
        .collect_view();
    view! {
        <div class="arch-scroll" tabindex="0" role="region" aria-label="The architecture picture">
        <svg
            class="arch-picture"
            data-testid=testid
            data-resolution=move || description.with(|d| d.resolution)
            viewBox=move || format!("0 0 {WIDTH} {:.0}", height())
            role="img"
            aria-label=move || description.with(|d| format!("{}: {} stages, {}×{} input", d.name, d.stages.len(), d.resolution, d.resolution))
        >
            <rect
                class="input-square"
                style:x=move || format!("{:.1}px", 20.0 + (BAR_AREA - square()) / 2.0)
                style:y=move || format!("{:.1}px", GAP + (SQUARE - square()) / 2.0)
                style:width=move || format!("{:.1}px", square())
                style:height=move || format!("{:.1}px", square())
            ></rect>
            <text class="stage-label wide-label" x=BAR_AREA + 32.0 y=GAP + SQUARE / 2.0>
                {move || description.with(|d| format!("input {0}×{0} (square ∝ resolution)", d.resolution))}
            </text>
            {bars}
        </svg>
        </div>
        <details class="arch-words">
            <summary>"The stages in words"</summary>
            <ol>
                {move || description.with(|d| {
                    let last = d.stages.len().saturating_sub(1);
                    d.stages.iter().enumerate().map(|(i, s)| {
                        let note = if i == last { " (bar at ¼ scale)" } else { "" };
                        view! { <li>{format!("{} · ×{} · {}→{} ch{note} · {}²", s.operator, s.repeats, s.in_channels, s.out_channels, s.out_resolution)}</li> }
                    }).collect_view()
                })}
            </ol>
        </details>
    }
}
