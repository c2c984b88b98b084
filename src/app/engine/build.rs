//! Building a network: in the engine's worker when the engine has one, on this thread
//! otherwise, from a weights file the [`Host`](super::Host) fetches or with a random
//! initialisation. No signal is written here: the page's actions show the progress, and the
//! worker builds its networks with [`Engine::build_here`] too.

use std::rc::Rc;

use effnet::Variant;
use effnet::session::Wanted;

use super::protocol::{LoadProgress, LoadWhat};
use super::{Engine, Loaded, Net, WorkerNet, network};
use crate::app::state::backend::BackendKind;
use crate::app::state::error::AppError;
use crate::app::state::load::WeightsOrigin;

/// A built network, and where its weights came from (`None`: randomly initialised).
pub type BuiltHere = (Loaded, Option<WeightsOrigin>);

impl Engine {
    /// Builds `what` on `kind`: in the engine's worker when it has one, here otherwise
    /// (`weights`: the description of pretrained weights, for the result's provenance line).
    pub async fn build(
        &self,
        what: LoadWhat,
        kind: BackendKind,
        weights: Option<String>,
        progress: Rc<dyn Fn(LoadProgress)>,
        wanted: Wanted,
    ) -> Result<BuiltHere, AppError> {
        let Some(remote) = self.remote() else {
            return self
                .build_here(what, kind, weights, progress, &wanted)
                .await;
        };
        if !self.ready(kind) {
            return Err(AppError::BackendNotReady { backend: kind });
        }
        let preprocessing = what.preprocessing().clone();
        let built = remote.load(what, kind, progress, wanted).await?;
        let net = Net::InWorker(WorkerNet {
            id: built.net,
            remote,
        });
        Ok((
            Loaded::new(net, preprocessing, weights, built.precision),
            built.origin,
        ))
    }

    /// [`Engine::build`] on this thread.
    pub async fn build_here(
        &self,
        what: LoadWhat,
        kind: BackendKind,
        weights: Option<String>,
        progress: Rc<dyn Fn(LoadProgress)>,
        wanted: &Wanted,
    ) -> Result<BuiltHere, AppError> {
        let device = self
            .device(kind)
            .ok_or(AppError::BackendNotReady { backend: kind })?;
        let still_wanted = || {
            if wanted.get() {
                Ok(())
            } else {
                Err(AppError::Cancelled)
            }
        };
        let (model, preprocessing, origin) = match what {
            LoadWhat::Random {
                config,
                preprocessing,
            } => {
                // Let the "initialising" line paint before the synchronous work.
                self.host.sleep(0).await;
                still_wanted()?;
                (config.init(&device), preprocessing, None)
            }
            LoadWhat::Weights { entry } => {
                let variant =
                    Variant::parse(&entry.variant).ok_or_else(|| AppError::BadWeights {
                        detail: format!(
                            "the manifest names an unknown variant {:?}",
                            entry.variant
                        ),
                    })?;
                let downloaded = Rc::new({
                    let progress = progress.clone();
                    move |loaded: u64, total: u64| {
                        progress(LoadProgress::Downloading { loaded, total })
                    }
                });
                let preprocessing = entry.preprocessing.clone();
                let (bytes, origin) = self
                    .host
                    .fetch_weights(entry, downloaded, wanted.clone())
                    .await?;
                still_wanted()?;
                progress(LoadProgress::Building);
                self.host.sleep(0).await;
                still_wanted()?;
                let model = network::from_web_format(&bytes, variant, &device)?;
                (model, preprocessing, Some(origin))
            }
        };
        Ok((self.prepare(model, kind, preprocessing, weights), origin))
    }
}
