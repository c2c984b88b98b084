//! The page's frame: the header (status, offline line, errors), the variant switcher, the tabs,
//! and the main stage — the image and its activation map beside the top-5 — with the variant
//! table, the stages and the backend one scroll below.

use leptos::prelude::*;

use crate::app::actions::App;

use super::backend_panel::{self, BackendPanel};
use super::compare::CompareView;
use super::image_input::ImageInput;
use super::image_view::ImageView;
use super::offline_status::OfflineStatus;
use super::predictions::Predictions;
use super::roving;
use super::scaling::ScalingView;
use super::variant_switcher::VariantSwitcher;
use super::variants::VariantPanel;
use super::webcam::Webcam;
use crate::app::actions;
use crate::app::state::Tab;
use crate::app::state::error::AppError;

/// The whole page; `dev_panel` is what the dev tools show under the variant panel (bench mode).
#[component]
pub fn Page(dev_panel: ViewFn) -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let dragging = RwSignal::new(false);
    actions::image::install_listeners(app, dragging);
    let dev_panel = move || dev_panel.run();
    let on = move |tab: Tab| move || state.tab.get() == tab;
    let off = move |tab: Tab| move || state.tab.get() != tab;
    view! {
        <div class="page" class:dragging=move || dragging.get()>
            <header class="top">
                <div class="brand">
                    <h1>"EfficientNet in your browser"</h1>
                    <p class="tagline">
                        "B0…B7 and Lite0…Lite4, run on your GPU (WebGPU) or CPU by burn, in this page. Nothing leaves your machine."
                    </p>
                </div>
                <p class="status" data-testid="status" role="status" aria-live="polite"
                    data-phase=move || state.screen.with(|s| format!("{:?}", s.activity.phase()).to_lowercase())
                    data-generation=move || state.screen.with(|s| s.generation.to_string())
                >{move || state.screen.with(|s| s.activity.to_string())}</p>
                <p class="backend-line" data-testid="backend-line">{move || backend_panel::choice_text(app).unwrap_or_default()}</p>
                <OfflineStatus/>
                <Show when=move || state.error.with(Option::is_some)>
                    <div class="error" data-testid="error" role="alert">
                        <span data-testid="error-message">{move || state.error.with(|e| e.as_ref().map(ToString::to_string).unwrap_or_default())}</span>
                        <Show when=move || state.error.with(|e| e.as_ref().is_some_and(AppError::is_load_failure))>
                            <button class="retry" data-testid="retry" on:click=move |_| actions::retry_load(app)>
                                "Retry"
                            </button>
                        </Show>
                        <button class="dismiss" aria-label="Dismiss the message" on:click=move |_| actions::dismiss_error(app)>
                            "×"
                        </button>
                    </div>
                </Show>
            </header>
            <VariantSwitcher/>
            <Tabs/>
            <main>
            <div
                id="view"
                class="view"
                role="tabpanel"
                aria-labelledby=move || format!("tab-{}", state.tab.get().id())
                data-tab=move || state.tab.get().id()
            >
                <div class="stage" class:hidden=on(Tab::Scaling) class:comparing=move || state.tab.get() == Tab::Compare>
                    <section class="panel inputs" aria-label="Image">
                        <ImageInput>
                            <div class="webcam" class:hidden=off(Tab::Classify)>
                                <Webcam/>
                            </div>
                        </ImageInput>
                    </section>
                    <div class="stage-answer" class:hidden=off(Tab::Classify)>
                        <Predictions/>
                    </div>
                    <section class="panel picture" aria-label="What the network saw" class:hidden=off(Tab::Classify)>
                        <ImageView/>
                    </section>
                    <div class="stage-compare" class:hidden=off(Tab::Compare)>
                        <CompareView/>
                    </div>
                </div>
                <div class="wide" class:hidden=off(Tab::Scaling)>
                    <ScalingView/>
                </div>
                <div class="details">
                    <div class:hidden=off(Tab::Classify)>
                        <VariantPanel/>
                    </div>
                    <div class:hidden=on(Tab::Scaling)>
                        <BackendPanel/>
                    </div>
                    <div class:hidden=off(Tab::Classify)>{dev_panel()}</div>
                </div>
            </div>
            </main>
            <div class="drop-overlay" aria-hidden="true"><p>"Drop the image to classify it"</p></div>
        </div>
    }
}

/// The views' tabs (WAI-ARIA tabs, automatic activation: the arrow keys move and select).
#[component]
fn Tabs() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let refs = roving::buttons(Tab::ALL.len());
    let tabs = Tab::ALL
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let selected = move || state.tab.get() == t;
            let on_key = roving::on_keydown(refs.clone(), i, move |next| {
                actions::select_tab(app, Tab::ALL[next])
            });
            view! {
                <button
                    node_ref=refs[i]
                    role="tab"
                    class="tab"
                    id=format!("tab-{}", t.id())
                    aria-controls="view"
                    aria-label=t.label()
                    data-testid=format!("tab-{}", t.id())
                    aria-selected=move || selected().to_string()
                    tabindex=move || if selected() { "0" } else { "-1" }
                    on:click=move |_| actions::select_tab(app, t)
                    on:keydown=on_key
                >
                    <span class="tab-long">{t.label()}</span>
                    <span class="tab-short" aria-hidden="true">{t.short_label()}</span>
                </button>
            }
        })
        .collect_view();
    view! { <div class="tabs" role="tablist" aria-label="Views">{tabs}</div> }
}
