//! Getting a variant's network onto a backend: from the engine's memory, from a load under way
//! (shared), or fetched (weights from the manifest, else a random initialisation) and built.
//! The variant on screen shows the load's progress in `state.load`.

use std::rc::Rc;

use effnet::Variant;
use effnet::session::{Interest, LoadError, Wanted};
use effnet::weights::Source;
use effnet::weights::manifest::ManifestEntry;
use leptos::prelude::*;

use super::{engine, manifest, offline};
use crate::app::engine::{Loaded, network};
use crate::app::platform::js;
use crate::app::platform::weights::{self, Origin};
use crate::app::state::AppState;
use crate::app::state::backend::BackendKind;
use crate::app::state::load::{LOAD_FAILED, LoadState, describe_entry};

/// Extra progress for a caller (the compare view's line).
pub type Progress = Rc<dyn Fn(LoadState)>;

/// The network for `variant` on `kind`. Failures are shown (and returned); a load nobody wants
/// any more ends with [`LoadError::Superseded`], showing nothing and keeping nothing.
pub async fn ensure_model(
    state: AppState,
    variant: Variant,
    kind: BackendKind,
    interest: Interest,
    progress: Option<Progress>,
) -> Result<Rc<Loaded>, LoadError<String>> {
    // Every load needs the manifest: wait for its fetch (shared with start-up, which shows it;
    // the value is read here, not from the signal, which start-up may not have set yet).
    let entry = manifest().await.entry(variant);
    let result = engine()
        .session
        .load((variant, kind), interest, move |wanted| {
            let (progress, entry) = (progress.clone(), entry.clone());
            Box::pin(async move { load(state, variant, kind, entry, &wanted, progress).await })
                as futures_util::future::LocalBoxFuture<'static, _>
        })
        .await;
    match &result {
        Ok(_) => {
            // A load that failed before is shown as failed no more.
            state.error.update(|e| {
                if e.as_deref().is_some_and(|m| m.ends_with(LOAD_FAILED)) {
                    *e = None;
                }
            });
        }
        Err(LoadError::Superseded) => {
            if state.load.with_untracked(|l| matches!(l, LoadState::Downloading { variant: v, .. } | LoadState::Preparing { variant: v, .. } if *v == variant)) {
                state.load.set(LoadState::Idle);
            }
        }
        Err(LoadError::Failed(message)) => {
            if state.variant.get_untracked() == variant {
                state.load.set(LoadState::Failed {
                    variant,
                    message: message.clone(),
                });
                state.error.set(Some(format!("{message}{LOAD_FAILED}")));
            }
        }
    }
    result
}

async fn load(
    state: AppState,
    variant: Variant,
    kind: BackendKind,
    entry: Option<ManifestEntry>,
    wanted: &Wanted,
    progress: Option<Progress>,
) -> Result<Loaded, LoadError<String>> {
    let show = |s: LoadState| {
        if let Some(p) = &progress {
            p(s.clone());
        }
        if state.variant.get_untracked() == variant {
            state.load.set(s);
        }
    };
    let superseded = || !wanted.get();
    if superseded() {
        return Err(LoadError::Superseded);
    }
    let engine = engine();
    let device = engine
        .device(kind)
        .ok_or_else(|| LoadError::Failed(format!("the {} backend is not ready", kind.label())))?;
    let started = js::now();
    let Some(entry) = entry else {
        show(LoadState::Preparing {
            variant,
            what: format!("initialising {variant} randomly on {}", kind.label()),
        });
        js::sleep(0).await;
        if superseded() {
            return Err(LoadError::Superseded);
        }
        let loaded = engine.prepare(
            variant.config().init(&device),
            kind,
            Source::preset_preprocessing(variant),
            None,
        );
        show(LoadState::Ready {
            variant,
            pretrained: false,
            from_cache: false,
            ms: js::now() - started,
        });
        return Ok(loaded);
    };
    show(LoadState::Downloading {
        variant,
        loaded: 0,
        total: entry.bytes,
    });
    let downloaded = |loaded: u64, total: u64| {
        show(LoadState::Downloading {
            variant,
            loaded,
            total,
        })
    };
    let (bytes, origin) = weights::fetch_weights(&entry, &downloaded, &|| wanted.get())
        .await
        .map_err(|e| match e {
            LoadError::Failed(why) => LoadError::Failed(format!("{variant}: {why}")),
            superseded => superseded,
        })?;
    match &origin {
        Origin::NetworkNotStored(why) => offline::not_stored(state, variant, why),
        Origin::Cache | Origin::Network => offline::stored(state, variant),
    }
    if superseded() {
        return Err(LoadError::Superseded);
    }
    show(LoadState::Preparing {
        variant,
        what: format!("building {variant} on {}", kind.label()),
    });
    js::sleep(0).await;
    if superseded() {
        return Err(LoadError::Superseded);
    }
    let model = network::from_web_format(&bytes, variant, &device).map_err(LoadError::Failed)?;
    let loaded = engine.prepare(
        model,
        kind,
        entry.preprocessing.clone(),
        Some(describe_entry(&entry)),
    );
    show(LoadState::Ready {
        variant,
        pretrained: true,
        from_cache: origin == Origin::Cache,
        ms: js::now() - started,
    });
    Ok(loaded)
}
