//! While a request loads or runs a variant — a switch above all, whose first run can take
//! seconds to minutes — a line says what is happening and about how long it takes (from the
//! FLOPs and the latencies measured here), a bar shows how far it got (the download's bytes,
//! then the time against the estimate), and Cancel goes back to the variant whose result is on
//! screen.

use leptos::prelude::*;

use crate::app::actions::{self, App};
use crate::app::platform::js;
use crate::app::state::activity::{Activity, Estimate, seconds};
use crate::app::state::load::LoadState;

/// How far a request of `estimate` got after `elapsed_ms`, 0–1 (never quite 1 before it ends).
fn fraction(elapsed_ms: f64, estimate: Option<Estimate>) -> Option<f64> {
    let total = estimate?.total_ms();
    (total > 0.0).then(|| (elapsed_ms / total).min(0.97))
}

#[component]
pub fn Switching() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    // A clock for the bar, ticking only while something is on its way.
    let now = RwSignal::new(js::now());
    let ticking = move || {
        state.screen.with(|s| {
            matches!(
                s.activity,
                Activity::Loading { .. } | Activity::Running { cold: true, .. }
            )
        })
    };
    Effect::new(move |_| {
        if ticking() {
            leptos::task::spawn_local(async move {
                while ticking() {
                    js::sleep(250).await;
                    now.set(js::now());
                }
            });
        }
    });
    let shown = move || {
        state.screen.with(|s| match s.activity {
            Activity::Loading {
                variant,
                from,
                estimate,
                ..
            } => Some((variant, from, estimate, s.began_ms)),
            Activity::Running {
                variant,
                cold: true,
                estimate,
                ..
            } => Some((variant, None, estimate, s.began_ms)),
            _ => None,
        })
    };
    view! {
        {move || shown().map(|(variant, from, estimate, began)| {
            let elapsed = move || (now.get() - began).max(0.0);
            let bytes = move || state.load.with(|l| match l {
                LoadState::Downloading { variant: v, loaded, total } if *v == variant && *total > 0 => {
                    Some(*loaded as f64 / *total as f64)
                }
                _ => None,
            });
            let value = move || bytes().or_else(|| fraction(elapsed(), estimate));
            let words = match estimate {
                Some(e) => match e.download_ms {
                    Some(d) => format!(
                        "{variant}: about {} (download about {}, then the run about {})",
                        seconds(e.total_ms()),
                        seconds(d),
                        seconds(e.run_ms)
                    ),
                    None => format!("{variant}: about {}", seconds(e.total_ms())),
                },
                None => format!("{variant}: no estimate yet (nothing measured on this backend)"),
            };
            let back = from.filter(|&f| f != variant);
            view! {
                <div class="switching" data-testid="switching" role="status"
                    data-variant=variant.name()
                    data-estimate-ms=estimate.map(|e| format!("{:.0}", e.total_ms())).unwrap_or_default()
                >
                    <p class="switching-line">{words}</p>
                    {move || match value() {
                        Some(v) => view! { <progress data-testid="switch-progress" max="1" value=format!("{v:.3}")></progress> }.into_any(),
                        None => view! { <progress data-testid="switch-progress"></progress> }.into_any(),
                    }}
                    <span class="switching-elapsed">{move || format!("{} so far", seconds(elapsed()))}</span>
                    {back.map(|previous| view! {
                        <button class="secondary cancel" data-testid="switch-cancel"
                            on:click=move |_| actions::cancel_switch(app)
                        >
                            {format!("Cancel: back to {previous}")}
                        </button>
                    })}
                </div>
            }
        })}
    }
}
