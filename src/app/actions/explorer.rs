//! The scaling explorer's run: a configuration that is no preset, built with random weights
//! and timed twice (cold, then warm) on the active backend, on the current image or a
//! gradient. Nobody supersedes it (it shows only timings).

use std::rc::Rc;

use effnet::EfficientNetConfig;

use effnet::session::Interest;
use effnet::weights::Source;

use super::App;
use crate::app::engine::protocol::LoadWhat;
use crate::app::engine::synthetic;
use crate::app::platform::js;
use crate::app::state::backend::BackendKind;
use crate::app::state::error::AppError;
use leptos::prelude::*;

/// Cold and warm latency of `config` on the active backend, and that backend.
pub async fn time_custom(
    app: App,
    config: EfficientNetConfig,
) -> Result<(f64, f64, BackendKind), AppError> {
    let engine = app.engine();
    let kind = app
        .state
        .backend
        .with_untracked(|b| b.active)
        .ok_or(AppError::NoBackend)?;
    js::sleep(0).await;
    let resolution = config.resolution;
    let what = LoadWhat::Random {
        preprocessing: Source::Torchvision.preprocessing(&config, None),
        config,
    };
    let always = engine.session.wanted_by(Interest::Always);
    let (loaded, _) = engine
        .build(what, kind, None, Rc::new(|_| {}), always)
        .await?;
    let image = engine
        .session
        .image()
        .map(|(i, _)| i)
        .unwrap_or_else(|| Rc::new(synthetic::gradient(resolution)));
    let mut times = Vec::new();
    for _ in 0..2 {
        let out = engine.run(&loaded, &image, kind, false, None).await?;
        times.push(out.latency_ms);
    }
    Ok((times[0], times[1], kind))
}
