//! The page, in layers whose imports run one way (see README.md beside this file):
//!
//! ```text
//! views, devtools      components; bench, profile, test hooks (beside the views)
//!        ↓
//! actions              the only writers of the shared signals
//!        ↓
//! transport            the engine's worker seen from the page, the browser as the engine's host
//!        ↓
//! engine, platform     networks and runs (no leptos, no web_sys) · all browser glue
//!        ↓
//! state                the signals and the plain types they hold; the address's options
//! ```
//!
//! `worker/` is the engine's Web Worker: the same wasm started off the page's thread, a second
//! composition root that uses the engine, the platform and the transport.

mod actions;
mod devtools;
mod engine;
mod platform;
mod state;
mod transport;
mod views;
mod worker;

/// The engine's worker (the page's wasm started in site/worker.js).
pub fn serve_worker() {
    worker::serve();
}

use leptos::prelude::*;
use leptos::task::spawn_local;

use actions::App;
use state::AppState;
use state::options::Options;

/// The composition root: reads the address once, makes the state and what the page owns (the
/// engine, the camera…), starts up, and mounts the page with the dev tools' panel.
#[component]
pub fn Root() -> impl IntoView {
    let options = Options::parse(platform::js::query_param);
    let bench = options.bench.clone();
    let app = App::new(AppState::new(options));
    provide_context(app);
    spawn_local(async move {
        actions::start(app).await;
        devtools::install(app);
        match bench {
            Some(bench) => devtools::bench::run(app, bench).await,
            None => actions::refresh(app),
        }
    });
    view! { <views::Page dev_panel=ViewFn::from(devtools::BenchPanel)/> }
}
