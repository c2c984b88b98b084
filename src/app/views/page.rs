//! The page's frame: header (status, offline line, errors), the tabs, and where each view sits.

use leptos::prelude::*;

use super::backend_panel::BackendPanel;
use super::compare::CompareView;
use super::image_input::ImageInput;
use super::offline_status::OfflineStatus;
use super::predictions::Predictions;
use super::scaling::ScalingView;
use super::variants::VariantPanel;
use super::webcam::Webcam;
use crate::app::actions;
use crate::app::state::{AppState, Tab};

/// The whole page; `dev_panel` is what the dev tools show under the variant panel (bench mode).
#[component]
pub fn Page(dev_panel: ViewFn) -> impl IntoView {
    let state = expect_context::<AppState>();
    let dragging = RwSignal::new(false);
    actions::image::install_listeners(state, dragging);
    let dev_panel = move || dev_panel.run();
    view! {
        <div class="page" class:dragging=move || dragging.get()>
            <header>
                <h1>"EfficientNet in your browser"</h1>
                <p class="tagline">
                    "EfficientNet-B0…B7 and Lite0…Lite4, run by burn on WebGPU (or the CPU) in this page. Nothing leaves your machine."
                </p>
                <p class="status" data-testid="status" role="status" aria-live="polite">{move || state.status.get()}</p>
                <OfflineStatus/>
                <Show when=move || state.error.with(Option::is_some)>
                    <div class="error" data-testid="error" role="alert">
                        <span data-testid="error-message">{move || state.error.get().unwrap_or_default()}</span>
                        <Show when=move || state.error.with(|e| e.as_deref().is_some_and(actions::is_load_failure))>
                            <button class="retry" data-testid="retry" on:click=move |_| actions::retry_load(state)>
                                "Retry"
                            </button>
                        </Show>
                        <button class="dismiss" aria-label="Dismiss" on:click=move |_| actions::dismiss_error(state)>
                            "×"
                        </button>
                    </div>
                </Show>
            </header>
            <nav class="tabs" role="tablist">
                {Tab::ALL
                    .into_iter()
                    .map(|t| view! {
                        <button
                            role="tab"
                            class="tab"
                            data-testid=format!("tab-{}", t.id())
                            aria-selected=move || (state.tab.get() == t).to_string()
                            on:click=move |_| actions::select_tab(state, t)
                        >
                            {t.label()}
                        </button>
                    })
                    .collect_view()}
            </nav>
            <main>
                <div class="column" class:hidden=move || state.tab.get() == Tab::Scaling>
                    <ImageInput/>
                    <div class:hidden=move || state.tab.get() != Tab::Classify>
                        <Webcam/>
                    </div>
                    <BackendPanel/>
                </div>
                <div class="column" class:hidden=move || state.tab.get() != Tab::Classify>
                    <Predictions/>
                </div>
                <div class="column compare-column" class:hidden=move || state.tab.get() != Tab::Compare>
                    <CompareView/>
                </div>
                <div class="column wide" class:hidden=move || state.tab.get() != Tab::Scaling>
                    <ScalingView/>
                </div>
                <div class="column wide" class:hidden=move || state.tab.get() != Tab::Classify>
                    <VariantPanel/>
                    {dev_panel()}
                </div>
            </main>
            <div class="drop-overlay" aria-hidden="true">"Drop the image to classify it"</div>
        </div>
    }
}
