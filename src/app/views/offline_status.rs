//! The offline line under the status, and storage problems.

use leptos::prelude::*;

use crate::app::state::AppState;
use crate::app::state::offline::OfflineState;

/// The offline line under the status, and storage problems.
#[component]
pub fn OfflineStatus() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <p class="offline" data-testid="offline">{move || state.offline.with(OfflineState::describe)}</p>
        <Show when=move || state.offline.with(|o| o.notice.is_some())>
            <p class="warning" data-testid="storage-notice" role="status">
                {move || state.offline.with(|o| o.notice.clone().unwrap_or_default())}
            </p>
        </Show>
    }
}
