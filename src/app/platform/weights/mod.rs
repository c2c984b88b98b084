//! The manifest and the weights files: fetched lazily, streamed with progress, kept in the
//! browser's Cache API, checked against the manifest's sha256. [`Weights::fetch`] reads as the
//! steps it takes: a good copy from the cache ([`cache`]), else a download that resumes what
//! broke off before ([`download`]), checked, then stored.

mod cache;
mod download;

use std::cell::RefCell;
use std::rc::Rc;

use effnet::session::Wanted;
use effnet::weights::manifest::{Manifest, ManifestEntry, Shard};
use effnet::weights::web::Precision;
use futures_util::StreamExt;
use wasm_bindgen_futures::JsFuture;

use super::js;
use crate::app::state::error::AppError;
use crate::app::state::load::{ManifestState, StoreRefusal, WeightsOrigin};

pub use cache::{clear, stored};

/// Where the site keeps `static/weights` (relative to the page).
pub const WEIGHTS_DIR: &str = "static/weights/";

/// Reads `static/weights/manifest.json`, each entry naming its format in `precision` as its own
/// where it has one (`?weights=`).
pub async fn load_manifest(precision: Option<Precision>) -> ManifestState {
    let url = format!("{WEIGHTS_DIR}manifest.json");
    let response = match download::fetch_fresh(&url).await {
        Ok(r) => r,
        Err(e) => return ManifestState::Failed(e),
    };
    if response.status() == 404 {
        return ManifestState::Missing;
    }
    if !response.ok() {
        return ManifestState::Failed(AppError::Http {
            url,
            status: response.status(),
            status_text: response.status_text(),
        });
    }
    let text = match response.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    let unreadable = |detail: String| {
        ManifestState::Failed(AppError::Manifest {
            detail: format!("{url}: {detail}"),
        })
    };
    match text {
        None => unreadable("cannot read the response".into()),
        Some(text) => match Manifest::parse(&text) {
            Ok(m) => ManifestState::Loaded(match precision {
                Some(p) => m.in_precision(p),
                None => m,
            }),
            Err(e) => unreadable(e.to_string()),
        },
    }
}

/// The weights files of one thread (the page's, or the worker's): what it downloaded in part
/// is kept here, so a retry asks only for the rest.
#[derive(Default)]
pub struct Weights {
    partial: download::Partial,
}

impl Weights {
    /// The weights file of `entry` (its own format: one file, or its shards), checked against
    /// its sha256: each piece from the Cache API when it holds a good copy, otherwise downloaded
    /// ([`SHARDS_AT_ONCE`] at a time, calling `progress(bytes_so_far, total)` for the whole as
    /// chunks arrive), checked and cached. A piece whose download stalls for
    /// [`download::STALL_MS`] or breaks off is tried again alone, resuming where it stopped
    /// ([`TRIES`] in all; a whole file once), then given up with an error (a retry resumes it; pieces already
    /// stored are not fetched again); one that `wanted` no longer wants stops at the next chunk
    /// with [`AppError::Cancelled`].
    pub async fn fetch(
        self: Rc<Self>,
        entry: ManifestEntry,
        progress: Rc<dyn Fn(u64, u64)>,
        wanted: Wanted,
    ) -> Result<(Vec<u8>, WeightsOrigin), AppError> {
        let format = entry.own_format();
        let pieces = format.pieces();
        // A shard that stalls is tried again alone; a whole file is given up at once with a
        // message and a Retry (which resumes it).
        let sharded = pieces.len() > 1;
        let tries = if sharded { TRIES } else { 1 };
        let cache = Rc::new(cache::open().await);
        let total: u64 = pieces.iter().map(|p| p.bytes).sum();
        let arrived = Rc::new(RefCell::new(vec![0u64; pieces.len()]));
        let fetches = pieces.into_iter().enumerate().map(|(i, piece)| {
            let (this, cache, wanted) = (self.clone(), cache.clone(), wanted.clone());
            let (arrived, progress) = (arrived.clone(), progress.clone());
            async move {
                let report = move |loaded: u64, _| {
                    arrived.borrow_mut()[i] = loaded;
                    let sum: u64 = arrived.borrow().iter().sum();
                    progress(sum, total.max(sum));
                };
                this.piece(&piece, cache.as_ref().as_ref(), &report, &wanted, tries)
                    .await
            }
        });
        let results: Vec<_> = futures_util::stream::iter(fetches)
            .buffered(SHARDS_AT_ONCE)
            .collect()
            .await;
        let mut bytes = Vec::with_capacity(total as usize);
        let mut origin = WeightsOrigin::Cache;
        for result in results {
            let (piece, from) = result?;
            bytes.extend_from_slice(&piece);
            origin = match (origin, from) {
                (WeightsOrigin::NetworkNotStored(r), _)
                | (_, WeightsOrigin::NetworkNotStored(r)) => WeightsOrigin::NetworkNotStored(r),
                (WeightsOrigin::Network, _) | (_, WeightsOrigin::Network) => WeightsOrigin::Network,
                (o, _) => o,
            };
        }
        // One file was checked as its piece; shards together are checked as the whole.
        if sharded && let Err(e) = entry.verify(&bytes) {
            return Err(weights_error(format!("{WEIGHTS_DIR}{}", entry.file), e));
        }
        Ok((bytes, origin))
    }

    /// One piece (a whole file, or a shard): from the cache, else downloaded (tried again alone
    /// when it stalls or breaks off), checked and stored.
    async fn piece(
        &self,
        piece: &Shard,
        cache: Option<&web_sys::Cache>,
        progress: &dyn Fn(u64, u64),
        wanted: &Wanted,
        allowed: u32,
    ) -> Result<(Vec<u8>, WeightsOrigin), AppError> {
        let url = format!("{WEIGHTS_DIR}{}", piece.file);
        if let Some(cache) = cache
            && let Some(bytes) = cache::read_verified(cache, piece).await
        {
            progress(bytes.len() as u64, bytes.len() as u64);
            return Ok((bytes, WeightsOrigin::Cache));
        }
        if !wanted.get() {
            return Err(AppError::Cancelled);
        }
        let key = cache::key(piece);
        let mut tries = 0;
        let bytes = loop {
            tries += 1;
            match self
                .partial
                .download(&url, &key, piece.bytes, progress, wanted)
                .await
            {
                Ok(bytes) => break bytes,
                Err(e @ (AppError::Stalled { .. } | AppError::BrokeOff { .. }))
                    if tries < allowed =>
                {
                    js::log(&format!("effnet: {url}: {e}; trying it again"));
                }
                Err(e) => return Err(e),
            }
        };
        piece
            .verify(&bytes)
            .map_err(|e| weights_error(url.clone(), e))?;
        let Some(cache) = cache else {
            let refusal = StoreRefusal::Other {
                detail: "no Cache API here".into(),
            };
            return Ok((bytes, WeightsOrigin::NetworkNotStored(refusal)));
        };
        match cache::store(cache, &key, &bytes).await {
            Ok(()) => Ok((bytes, WeightsOrigin::Network)),
            Err(refusal) => {
                js::log(&format!("effnet: could not cache {url}: {refusal:?}"));
                Ok((bytes, WeightsOrigin::NetworkNotStored(refusal)))
            }
        }
    }
}

/// How many shards of one variant download at once.
pub const SHARDS_AT_ONCE: usize = 3;

/// How many times a shard is tried before its download is given up.
const TRIES: u32 = 3;

/// The page's error for weights that are not what the manifest says.
fn weights_error(url: String, error: effnet::weights::WeightsError) -> AppError {
    match error {
        effnet::weights::WeightsError::Checksum { expected, found } => AppError::Checksum {
            url,
            expected,
            found,
        },
        effnet::weights::WeightsError::Shard {
            problem: effnet::weights::manifest::ShardProblem::Corrupt { expected, found },
            ..
        } => AppError::Checksum {
            url,
            expected,
            found,
        },
        other => AppError::BadWeights {
            detail: other.to_string(),
        },
    }
}
