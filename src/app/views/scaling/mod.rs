//! Seeing compound scaling: the architecture drawn stage by stage, the φ explorer, and the
//! accuracy charts — all from the core crate's configuration and description.

mod architecture;
mod charts;
mod explorer;

pub use architecture::ArchitecturePicture;
pub use charts::Charts;
pub use explorer::Explorer;

use leptos::prelude::*;

use crate::app::actions::App;

/// The "Scaling" tab: the selected variant's picture (animated when the variant changes), the
/// explorer and the charts.
#[component]
pub fn ScalingView() -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let config = Signal::derive(move || state.variant.get().config());
    view! {
        <section class="panel architecture" aria-label="Architecture" data-testid="architecture">
            <h2>{move || format!("{} stage by stage", state.variant.get())}</h2>
            <p class="hint">
                "Bar width ∝ channels, bar height ∝ number of blocks; labels give kernel, repeats and the feature-map size. Pick another variant at the top to watch width, depth and resolution grow."
            </p>
            <ArchitecturePicture config=config testid="arch-picture"/>
        </section>
        <Explorer/>
        <Charts/>
    }
}
