//! The paper's Figure 1 redrawn: reported ImageNet top-1 against FLOPs, and against the latency
//! measured on this device in this visit, one point per variant, in SVG drawn here. Hovering
//! (or focusing) a point shows its numbers.

use effnet::{Family, Variant};
use leptos::prelude::*;

use crate::app::actions::App;

use crate::app::views::format::billions;

const W: f64 = 420.0;
const H: f64 = 280.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 36.0;
const TOP: f64 = 12.0;
const RIGHT: f64 = 12.0;
/// The top-1 axis: the presets' reported accuracies, a point of margin below and above.
fn top1_range() -> (f64, f64) {
    let (lo, hi) = Variant::ALL
        .iter()
        .map(|v| v.reported_top1())
        .fold((f64::MAX, f64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    ((lo - 1.0).floor(), (hi + 0.7).ceil())
}

/// A point of a chart.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    variant: Variant,
    x: f64,
    top1: f64,
    text: String,
}

/// `B0`, `L0` (Lite0): chart labels.
fn short(v: Variant) -> String {
    v.name().to_uppercase().replace("LITE", "L")
}

fn x_of(v: f64, (lo, hi): (f64, f64)) -> f64 {
    LEFT + (v.ln() - lo.ln()) / (hi.ln() - lo.ln()) * (W - LEFT - RIGHT)
}

fn y_of(top1: f64) -> f64 {
    let (lo, hi) = top1_range();
    TOP + (hi - top1) / (hi - lo) * (H - TOP - BOTTOM)
}

/// Log-scale range around `values` (a decade pad on each side keeps single points visible).
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        (1.0, 10.0)
    } else {
        (lo / 1.4, hi * 1.4)
    }
}

fn ticks((lo, hi): (f64, f64)) -> Vec<f64> {
    let mut t = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in [1.0, 2.0, 5.0] {
            let v = decade * m;
            if v >= lo && v <= hi {
                t.push(v);
            }
        }
        decade *= 10.0;
    }
    t
}

fn fmt_tick(v: f64, unit: &str) -> String {
    if v >= 1000.0 {
        format!("{:.0}k{unit}", v / 1000.0)
    } else if v >= 1.0 {
        format!("{v:.0}{unit}")
    } else {
        format!("{v:.1}{unit}")
    }
}

/// The chart in words (its text equivalent for screen readers): every point's numbers.
fn described(title: &str, points: &[Point], empty: &str) -> String {
    if points.is_empty() {
        return format!("{title}: {empty}");
    }
    let each: Vec<&str> = points.iter().map(|p| p.text.as_str()).collect();
    format!("{title}. {}", each.join("; "))
}

#[component]
fn Chart(
    title: String,
    unit: &'static str,
    testid: &'static str,
    #[prop(into)] points: Signal<Vec<Point>>,
    empty: &'static str,
) -> impl IntoView {
    let hovered = RwSignal::new(None::<String>);
    let title_for_label = title.clone();
    let view_points = move || {
        let pts = points.get();
        let r = range(pts.iter().map(|p| p.x));
        let families = [Family::B, Family::Lite].map(|f| {
            let line: Vec<String> = pts
                .iter()
                .filter(|p| p.variant.family() == f)
                .map(|p| format!("{:.1},{:.1}", x_of(p.x, r), y_of(p.top1)))
                .collect();
            let class = if f == Family::B {
                "series b"
            } else {
                "series lite"
            };
            view! { <polyline class=class points=line.join(" ")></polyline> }
        });
        let axis = ticks(r)
            .into_iter()
            .map(|t| {
                let x = x_of(t, r);
                view! {
                    <line class="grid" x1=x x2=x y1=TOP y2=H - BOTTOM></line>
                    <text class="tick" x=x y=H - BOTTOM + 14.0 text-anchor="middle">{fmt_tick(t, unit)}</text>
                }
            })
            .collect_view();
        let dots = pts
            .into_iter()
            .map(|p| {
                let (x, y) = (x_of(p.x, r), y_of(p.top1));
                let text = p.text.clone();
                let enter = text.clone();
                view! {
                    <g class="point" class:lite=p.variant.family() == Family::Lite
                        data-testid=format!("{testid}-point-{}", p.variant.name())
                        data-variant=p.variant.name()
                        data-x=format!("{:.3}", p.x)
                        data-top1=format!("{}", p.top1)
                        on:mouseenter=move |_| hovered.set(Some(enter.clone()))
                        on:mouseleave=move |_| hovered.set(None)
                    >
                        <circle cx=x cy=y r="5"><title>{text}</title></circle>
                        <text class="point-label" x=x + 7.0 y=y + 3.0>{short(p.variant)}</text>
                    </g>
                }
            })
            .collect_view();
        view! { {axis} {families} {dots} }
    };
    let (lo, hi) = top1_range();
    let y_ticks = (lo as i32 + 1..=hi as i32)
        .step_by(2)
        .map(|t| {
            let y = y_of(t as f64);
            view! {
                <line class="grid" x1=LEFT x2=W - RIGHT y1=y y2=y></line>
                <text class="tick" x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{format!("{t}%")}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>{title}</figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=move || described(&title_for_label, &points.get(), empty)>
                {y_ticks}
                <line class="axis" x1=LEFT x2=W - RIGHT y1=H - BOTTOM y2=H - BOTTOM></line>
                <line class="axis" x1=LEFT x2=LEFT y1=TOP y2=H - BOTTOM></line>
                {view_points}
            </svg>
            <details class="chart-data">
                <summary>"The numbers"</summary>
                <ul data-testid=format!("{testid}-text")>
                    {move || points.get().into_iter().map(|p| view! { <li>{p.text}</li> }).collect_view()}
                </ul>
            </details>
            <p class="chart-hover" data-testid=format!("{testid}-hover")>
                {move || hovered.get().unwrap_or_else(|| if points.with(Vec::is_empty) { empty.to_string() } else { "Hover a point for its numbers.".into() })}
            </p>
        </figure>
    }
}

#[component]
pub fn Charts() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let flops = Signal::derive(|| {
        Variant::ALL
            .into_iter()
            .map(|v| {
                let d = v.config().describe();
                let g = d.flops as f64 / 1e9;
                Point {
                    variant: v,
                    x: g,
                    top1: v.reported_top1(),
                    text: format!(
                        "{v}: {} multiply-adds, {:.1} % top-1 (reported)",
                        billions(d.flops),
                        v.reported_top1()
                    ),
                }
            })
            .collect::<Vec<_>>()
    });
    let latency = Signal::derive(move || {
        let backend = state.backend.with(|b| b.active.map(|k| k.id()));
        let Some(backend) = backend else {
            return Vec::new();
        };
        state.measured.with(|m| {
            Variant::ALL
                .into_iter()
                .filter_map(|v| {
                    let measured = m.get(&(v, backend))?;
                    let ms = measured.typical_ms()?;
                    let how = if measured.warm_median_ms.is_some() {
                        format!("warm median of {} run(s)", measured.warm_runs)
                    } else {
                        "first (cold) run only".into()
                    };
                    Some(Point {
                        variant: v,
                        x: ms,
                        top1: v.reported_top1(),
                        text: format!(
                            "{v}: {ms:.0} ms on {backend} here ({how}), {:.1} % top-1 (reported)",
                            v.reported_top1()
                        ),
                    })
                })
                .collect::<Vec<_>>()
        })
    });
    let backend = move || {
        state
            .backend
            .with(|b| b.active.map(|k| k.label()).unwrap_or("…"))
    };
    view! {
        <section class="panel charts" aria-label="Accuracy charts" data-testid="charts">
            <h2>"Accuracy against cost"</h2>
            <p class="hint">"Top-1 is what the authors reported on ImageNet; latency is what this page measured on this device during this visit (classify or compare a variant to add its point)."</p>
            <div class="chart-row">
                <Chart title="Top-1 vs FLOPs (log scale)".into() unit="B" testid="chart-flops" points=flops empty=""/>
                <Chart
                    title=format!("Top-1 vs latency here (log scale, ms)")
                    unit=""
                    testid="chart-latency"
                    points=latency
                    empty="No variant has run yet: classify an image or run the compare view."
                />
            </div>
            <p class="hint">{move || format!("Latency points use the active backend: {}.", backend())}</p>
        </section>
    }
}
