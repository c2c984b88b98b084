//! The offline line under the status, and storage problems.

use leptos::prelude::*;

use crate::app::actions::App;

use crate::app::state::offline::OfflineState;

/// The offline line under the status, and storage problems.
#[component]
pub fn OfflineStatus() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    view! {
        <p class="offline" data-testid="offline">{move || state.offline.with(OfflineState::describe)}</p>
        <Show when=move || state.offline.with(|o| o.notice.is_some())>
            <p class="warning" data-testid="storage-notice" role="status">
                {move || state.offline.with(|o| o.notice.as_ref().map(ToString::to_string).unwrap_or_default())}
            </p>
        </Show>
    }
}
