//! The scaling explorer's run: a configuration that is no preset, built with random weights
//! and timed twice (cold, then warm) on the active backend, on the current image or a
//! gradient. Nobody supersedes it (it shows only timings).

use std::rc::Rc;

use effnet::EfficientNetConfig;

use effnet::session::{Interest, LoadError};
use effnet::weights::Source;

use super::engine;
use super::load::build;
use crate::app::engine::protocol::LoadWhat;
use crate::app::engine::synthetic;
use crate::app::platform::js;
use crate::app::state::AppState;
use leptos::prelude::*;

/// Cold and warm latency of `config` on the active backend, and that backend's id.
pub async fn time_custom(
    state: AppState,
    config: EfficientNetConfig,
) -> Result<(f64, f64, &'static str), String> {
    let engine = engine();
    let kind = state
        .backend
        .with_untracked(|b| b.active)
        .ok_or("no backend has started yet")?;
    js::sleep(0).await;
    let resolution = config.resolution;
    let what = LoadWhat::Random {
        preprocessing: Source::Torchvision.preprocessing(&config, None),
        config,
    };
    let always = engine.session.wanted_by(Interest::Always);
    let (loaded, _) = build(&engine, what, kind, None, Rc::new(|_| {}), always)
        .await
        .map_err(|e| match e {
            LoadError::Failed(why) => why,
            LoadError::Superseded => "superseded".into(),
        })?;
    let image = engine
        .session
        .image()
        .map(|(i, _)| i)
        .unwrap_or_else(|| Rc::new(synthetic::gradient(resolution)));
    let mut times = Vec::new();
    for _ in 0..2 {
        let out = engine
            .run(&loaded, &image, kind, false, None)
            .await?
            .ok_or("the run was cancelled")?;
        times.push(out.latency_ms);
    }
    Ok((times[0], times[1], kind.id()))
}
