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
use crate::app::engine::protocol::{LoadProgress, LoadWhat};
use crate::app::engine::{Engine, Loaded, Net, WorkerNet, network};
use crate::app::platform::js;
use crate::app::platform::weights;
use crate::app::state::AppState;
use crate::app::state::backend::BackendKind;
use crate::app::state::load::{LOAD_FAILED, LoadState, WeightsOrigin, describe_entry};

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
    let show = Rc::new(move |s: LoadState| {
        if let Some(p) = &progress {
            p(s.clone());
        }
        if state.variant.get_untracked() == variant {
            state.load.set(s);
        }
    });
    if !wanted.get() {
        return Err(LoadError::Superseded);
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
        Rc::new(move |p: LoadProgress| {
            show(match p {
                LoadProgress::Downloading { loaded, total } => LoadState::Downloading {
                    variant,
                    loaded,
                    total,
                },
                LoadProgress::Building => LoadState::Preparing {
                    variant,
                    what: building.clone(),
                },
            })
        })
    };
    let (loaded, origin) =
        build(&engine(), what, kind, weights, on_progress, wanted.clone()).await?;
    match &origin {
        Some(WeightsOrigin::NetworkNotStored(why)) => offline::not_stored(state, variant, why),
        Some(WeightsOrigin::Cache | WeightsOrigin::Network) => offline::stored(state, variant),
        None => {}
    }
    show(LoadState::Ready {
        variant,
        pretrained,
        from_cache: origin == Some(WeightsOrigin::Cache),
        ms: js::now() - started,
    });
    Ok(loaded)
}

/// Builds `what` on `kind`: in the engine's worker when it has one, here otherwise. Writes no
/// signal (the worker builds its networks with it too). Returns where the weights came from.
pub async fn build(
    engine: &Engine,
    what: LoadWhat,
    kind: BackendKind,
    weights: Option<String>,
    progress: Rc<dyn Fn(LoadProgress)>,
    wanted: Wanted,
) -> Result<(Loaded, Option<WeightsOrigin>), LoadError<String>> {
    let Some(remote) = engine.remote() else {
        let wanted = Rc::new(move || wanted.get());
        return build_here(engine, what, kind, weights, progress, wanted).await;
    };
    if !engine.ready(kind) {
        return Err(not_ready(kind));
    }
    let preprocessing = what.preprocessing().clone();
    let (id, origin, precision) = remote.load(what, kind, progress, wanted).await?;
    let net = Net::InWorker(WorkerNet { id, remote });
    Ok((Loaded::new(net, preprocessing, weights, precision), origin))
}

/// [`build`] on this thread.
pub async fn build_here(
    engine: &Engine,
    what: LoadWhat,
    kind: BackendKind,
    weights: Option<String>,
    progress: Rc<dyn Fn(LoadProgress)>,
    wanted: Rc<dyn Fn() -> bool>,
) -> Result<(Loaded, Option<WeightsOrigin>), LoadError<String>> {
    let device = engine.device(kind).ok_or_else(|| not_ready(kind))?;
    let superseded = || !wanted();
    let (model, preprocessing, origin) = match what {
        LoadWhat::Random {
            config,
            preprocessing,
        } => {
            // Let the "initialising" line paint before the synchronous work.
            js::sleep(0).await;
            if superseded() {
                return Err(LoadError::Superseded);
            }
            (config.init(&device), preprocessing, None)
        }
        LoadWhat::Weights { entry } => {
            let variant = Variant::parse(&entry.variant)
                .ok_or_else(|| LoadError::Failed(format!("unknown variant {:?}", entry.variant)))?;
            let downloaded =
                |loaded: u64, total: u64| progress(LoadProgress::Downloading { loaded, total });
            let (bytes, origin) = weights::fetch_weights(&entry, &downloaded, &*wanted)
                .await
                .map_err(|e| match e {
                    LoadError::Failed(why) => LoadError::Failed(format!("{variant}: {why}")),
                    superseded => superseded,
                })?;
            if superseded() {
                return Err(LoadError::Superseded);
            }
            progress(LoadProgress::Building);
            js::sleep(0).await;
            if superseded() {
                return Err(LoadError::Superseded);
            }
            let model =
                network::from_web_format(&bytes, variant, &device).map_err(LoadError::Failed)?;
            (model, entry.preprocessing, Some(origin))
        }
    };
    Ok((engine.prepare(model, kind, preprocessing, weights), origin))
}

fn not_ready(kind: BackendKind) -> LoadError<String> {
    LoadError::Failed(format!("the {} backend is not ready", kind.label()))
}
