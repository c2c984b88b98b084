//! Getting a variant's network onto a backend: from the engine's memory, from a load under way
//! (shared), or fetched (weights from the manifest, else a random initialisation) and built.
//! The variant on screen shows the load's progress in `state.load`.

use std::rc::Rc;

use effnet::Variant;
use effnet::session::{Interest, LoadError, Wanted};
use effnet::weights::Source;
use effnet::weights::manifest::ManifestEntry;
use leptos::prelude::*;

use super::{App, offline};
use crate::app::engine::Loaded;
use crate::app::engine::protocol::{LoadProgress, LoadWhat};
use crate::app::platform::js;
use crate::app::state::backend::BackendKind;
use crate::app::state::error::AppError;
use crate::app::state::load::{LoadState, WeightsOrigin, describe_entry};

/// Extra progress for a caller (the compare view's line).
pub type Progress = Rc<dyn Fn(LoadState)>;

/// The network for `variant` on `kind`. Failures are shown (and returned); a load nobody wants
/// any more ends with [`AppError::Cancelled`], showing nothing and keeping nothing.
pub async fn ensure_model(
    app: App,
    variant: Variant,
    kind: BackendKind,
    interest: Interest,
    progress: Option<Progress>,
) -> Result<Rc<Loaded>, AppError> {
    let state = app.state;
    // Every load needs the manifest: wait for its fetch (shared with start-up, which shows it;
    // the value is read here, not from the signal, which start-up may not have set yet).
    let entry = app.manifest().await.entry(variant);
    let result = app
        .engine()
        .session
        .load((variant, kind), interest, move |wanted| {
            let (progress, entry) = (progress.clone(), entry.clone());
            Box::pin(async move {
                load(app, variant, kind, entry, &wanted, progress)
                    .await
                    .map_err(|e| match e {
                        AppError::Cancelled => LoadError::Superseded,
                        e => LoadError::Failed(e.loading(variant)),
                    })
            }) as futures_util::future::LocalBoxFuture<'static, _>
        })
        .await
        .map_err(AppError::from);
    match &result {
        Ok(_) => {
            // A load that failed before is shown as failed no more.
            state.error.update(|e| {
                if e.as_ref().is_some_and(AppError::is_load_failure) {
                    *e = None;
                }
            });
        }
        Err(AppError::Cancelled) => {
            if state.load.with_untracked(|l| matches!(l, LoadState::Downloading { variant: v, .. } | LoadState::Preparing { variant: v, .. } if *v == variant)) {
                state.load.set(LoadState::Idle);
            }
        }
        Err(error) => {
            if state.variant.get_untracked() == variant {
                state.load.set(LoadState::Failed {
                    variant,
                    error: error.clone(),
                });
                state.error.set(Some(error.clone()));
            }
        }
    }
    result
}

async fn load(
    app: App,
    variant: Variant,
    kind: BackendKind,
    entry: Option<ManifestEntry>,
    wanted: &Wanted,
    progress: Option<Progress>,
) -> Result<Loaded, AppError> {
    let state = app.state;
    let show = Rc::new(move |s: LoadState| {
        if let Some(p) = &progress {
            p(s.clone());
        }
        if state.variant.get_untracked() == variant {
            state.load.set(s);
        }
    });
    if !wanted.get() {
        return Err(AppError::Cancelled);
    }
    let started = js::now();
    let pretrained = entry.is_some();
    let weights = entry.as_ref().map(describe_entry);
    let building = if pretrained {
        format!("building {variant} on {}", kind.label())
    } else {
        format!("initialising {variant} randomly on {}", kind.label())
    };
    let what = match entry {
        Some(entry) => {
            show(LoadState::Downloading {
                variant,
                loaded: 0,
                total: entry.bytes,
            });
            LoadWhat::Weights { entry }
        }
        None => {
            show(LoadState::Preparing {
                variant,
                what: building.clone(),
            });
            LoadWhat::Random {
                config: variant.config(),
                preprocessing: Source::preset_preprocessing(variant),
            }
        }
    };
    let on_progress = {
        let show = show.clone();
        // The download's first and last bytes: its speed, for the next estimates.
        let first = std::cell::Cell::new(None::<(f64, u64)>);
        let last = std::cell::Cell::new(None::<(f64, u64)>);
        Rc::new(move |p: LoadProgress| {
            show(match p {
                LoadProgress::Downloading { loaded, total } => {
                    let now = (js::now(), loaded);
                    if first.get().is_none() {
                        first.set(Some(now));
                    }
                    last.set(Some(now));
                    LoadState::Downloading {
                        variant,
                        loaded,
                        total,
                    }
                }
                LoadProgress::Building => {
                    if let (Some((t0, b0)), Some((t1, b1))) = (first.get(), last.get())
                        && t1 - t0 > 50.0
                        && b1 > b0
                    {
                        state.throughput.set(Some((b1 - b0) as f64 / (t1 - t0)));
                    }
                    LoadState::Preparing {
                        variant,
                        what: building.clone(),
                    }
                }
            })
        })
    };
    let (loaded, origin) = app
        .engine()
        .build(what, kind, weights, on_progress, wanted.clone())
        .await?;
    match &origin {
        Some(WeightsOrigin::NetworkNotStored(why)) => offline::not_stored(state, variant, why),
        Some(WeightsOrigin::Cache | WeightsOrigin::Network) => offline::stored(state, variant),
        None => {}
    }
    show(LoadState::Loaded {
        variant,
        pretrained,
        from_cache: origin == Some(WeightsOrigin::Cache),
        ms: js::now() - started,
    });
    Ok(loaded)
}
