//! The manifest and the weights files: fetched lazily, streamed with progress, kept in the
//! browser's Cache API, checked against the manifest's sha256. [`Weights::fetch`] reads as the
//! steps it takes: a good copy from the cache ([`cache`]), else a download that resumes what
//! broke off before ([`download`]), checked, then stored.

mod cache;
mod download;

use std::rc::Rc;

use effnet::session::Wanted;
use effnet::weights::manifest::{Manifest, ManifestEntry};
use wasm_bindgen_futures::JsFuture;

use super::js;
use crate::app::state::error::AppError;
use crate::app::state::load::{ManifestState, StoreRefusal, WeightsOrigin};

pub use cache::{clear, stored};

/// Where the site keeps `static/weights` (relative to the page).
pub const WEIGHTS_DIR: &str = "static/weights/";

/// Reads `static/weights/manifest.json`.
pub async fn load_manifest() -> ManifestState {
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
            Ok(m) => ManifestState::Loaded(m),
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
    /// The weights file of `entry`, checked against its sha256: from the Cache API when it
    /// holds a good copy, otherwise downloaded (calling `progress(bytes_so_far, total)` as
    /// chunks arrive) and then cached. A download that stalls for [`download::STALL_MS`] or breaks off
    /// is given up with an error (a retry resumes it); one that `wanted` no longer wants stops
    /// at the next chunk with [`AppError::Cancelled`].
    pub async fn fetch(
        self: Rc<Self>,
        entry: ManifestEntry,
        progress: Rc<dyn Fn(u64, u64)>,
        wanted: Wanted,
    ) -> Result<(Vec<u8>, WeightsOrigin), AppError> {
        let url = format!("{WEIGHTS_DIR}{}", entry.file);
        let cache = cache::open().await;
        if let Some(cache) = &cache
            && let Some(bytes) = cache::read_verified(cache, &entry).await
        {
            progress(bytes.len() as u64, bytes.len() as u64);
            return Ok((bytes, WeightsOrigin::Cache));
        }
        if !wanted.get() {
            return Err(AppError::Cancelled);
        }
        let key = cache::key(&entry);
        let bytes = self
            .partial
            .download(&url, &key, entry.bytes, &*progress, &wanted)
            .await?;
        if let Err(e) = entry.verify(&bytes) {
            return Err(match e {
                effnet::weights::WeightsError::Checksum { expected, found } => AppError::Checksum {
                    url,
                    expected,
                    found,
                },
                other => AppError::BadWeights {
                    detail: other.to_string(),
                },
            });
        }
        let Some(cache) = &cache else {
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
