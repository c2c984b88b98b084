//! The weights in the browser's Cache API, keyed by their sha256, checked on every read.

use effnet::weights::manifest::{ManifestEntry, Shard};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Response};

use super::WEIGHTS_DIR;
use crate::app::platform::js;
use crate::app::state::error::AppError;
use crate::app::state::load::StoreRefusal;

const CACHE_NAME: &str = "effnet-weights-v1";

/// The page's cache (`None` outside secure contexts: `caches` needs https, localhost or
/// 127.0.0.1).
pub async fn open() -> Option<Cache> {
    let caches = js::caches()?;
    JsFuture::from(caches.open(CACHE_NAME))
        .await
        .ok()
        .map(|c| c.unchecked_into())
}

/// The cache key of a weights file or shard: it names the content, so a new file under the same
/// name is never served stale.
pub fn key(piece: &Shard) -> String {
    format!("{WEIGHTS_DIR}{}?sha256={}", piece.file, piece.sha256)
}

async fn response_bytes(response: &Response) -> Result<Vec<u8>, JsValue> {
    let buffer = JsFuture::from(response.array_buffer()?).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// A piece from the cache, when it holds a copy whose sha256 is right (a damaged copy is
/// deleted).
pub async fn read_verified(cache: &Cache, piece: &Shard) -> Option<Vec<u8>> {
    let key = key(piece);
    let hit = JsFuture::from(cache.match_with_str(&key)).await.ok()?;
    let hit = hit.dyn_into::<Response>().ok()?;
    match response_bytes(&hit).await {
        Ok(bytes) if piece.verify(&bytes).is_ok() => Some(bytes),
        _ => {
            js::log(&format!(
                "effnet: cached {} is damaged; downloading it again",
                piece.file
            ));
            let _ = JsFuture::from(cache.delete_with_str(&key)).await;
            None
        }
    }
}

/// Stores `bytes` under `key`; why not, when the browser refuses.
pub async fn store(cache: &Cache, key: &str, bytes: &[u8]) -> Result<(), StoreRefusal> {
    let array = Uint8Array::from(bytes);
    let body: &js_sys::Object = &array;
    let stored = match Response::new_with_opt_buffer_source(Some(body)) {
        Ok(copy) => JsFuture::from(cache.put_with_str(key, &copy))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    stored.map_err(|e| {
        let detail = js::error_text(&e);
        // A DOMException's name says what kind of refusal it is.
        match js::get_string(&e, "name").as_deref() {
            Some("QuotaExceededError") => StoreRefusal::Quota { detail },
            _ => StoreRefusal::Other { detail },
        }
    })
}

/// The variants (names) among `entries` whose weights (every piece of each one's own format)
/// the Cache API holds.
pub async fn stored(entries: &[ManifestEntry]) -> Vec<String> {
    let Some(cache) = open().await else {
        return Vec::new();
    };
    let mut found = Vec::new();
    'entries: for entry in entries {
        for piece in entry.own_format().pieces() {
            match JsFuture::from(cache.match_with_str(&key(&piece))).await {
                Ok(hit) if hit.is_instance_of::<Response>() => {}
                _ => continue 'entries,
            }
        }
        found.push(entry.variant.clone());
    }
    found
}

/// Forgets every cached weights file (a button, and tests).
pub async fn clear() -> Result<(), AppError> {
    let caches = js::caches().ok_or_else(|| AppError::ClearCache {
        detail: "this browser has no Cache API here".into(),
    })?;
    JsFuture::from(caches.delete(CACHE_NAME))
        .await
        .map(|_: JsValue| ())
        .map_err(|e| AppError::ClearCache {
            detail: js::error_text(&e),
        })
}
