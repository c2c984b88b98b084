//! The manifest and the weights files: fetched lazily, streamed with progress, kept in the
//! browser's Cache API, checked against the manifest's sha256.

use effnet::Variant;
use effnet::weights::manifest::{Manifest, ManifestEntry};
use effnet::weights::web::Precision;
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, ReadableStreamDefaultReader, RequestCache, RequestInit, Response};

use super::js;

/// Where trunk's `copy-dir` puts `static/weights` (relative to the page).
pub const WEIGHTS_DIR: &str = "static/weights/";
const CACHE_NAME: &str = "effnet-weights-v1";

#[derive(Debug, Clone, PartialEq)]
pub enum ManifestState {
    Loading,
    /// No manifest on the server: every variant is randomly initialised.
    Missing,
    Loaded(Manifest),
    /// The manifest exists but cannot be read: treated as missing, with the reason shown.
    Failed(String),
}

impl ManifestState {
    pub fn entry(&self, variant: Variant) -> Option<ManifestEntry> {
        match self {
            ManifestState::Loaded(m) => m.get(variant.name()).cloned(),
            _ => None,
        }
    }
}

/// One line saying what a variant's weights are.
pub fn describe_entry(entry: &ManifestEntry) -> String {
    let precision = match entry.precision {
        Precision::F16 => "f16",
        Precision::F32 => "f32",
    };
    format!(
        "pretrained ({}, {precision}, {:.1} MB) from {}",
        entry.source.name(),
        entry.bytes as f64 / 1e6,
        entry.origin
    )
}

async fn fetch(url: &str, no_cache: bool) -> Result<Response, String> {
    let init = RequestInit::new();
    if no_cache {
        init.set_cache(RequestCache::NoCache);
    }
    let response = JsFuture::from(js::window().fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| format!("cannot fetch {url}: {}", js::error_text(&e)))?;
    Ok(response.unchecked_into())
}

/// Reads `static/weights/manifest.json`.
pub async fn load_manifest() -> ManifestState {
    let url = format!("{WEIGHTS_DIR}manifest.json");
    let response = match fetch(&url, true).await {
        Ok(r) => r,
        Err(e) => return ManifestState::Failed(e),
    };
    if response.status() == 404 {
        return ManifestState::Missing;
    }
    if !response.ok() {
        return ManifestState::Failed(format!(
            "{url}: HTTP {} {}",
            response.status(),
            response.status_text()
        ));
    }
    let text = match response.text() {
        Ok(p) => JsFuture::from(p).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    };
    match text {
        None => ManifestState::Failed(format!("{url}: cannot read the response")),
        Some(text) => match Manifest::parse(&text) {
            Ok(m) => ManifestState::Loaded(m),
            Err(e) => ManifestState::Failed(format!("{url}: {e}")),
        },
    }
}

async fn open_cache() -> Option<Cache> {
    // `caches` exists only in secure contexts (https, localhost, 127.0.0.1).
    let caches = js::window().caches().ok()?;
    JsFuture::from(caches.open(CACHE_NAME))
        .await
        .ok()
        .map(|c| c.unchecked_into())
}

async fn response_bytes(response: &Response) -> Result<Vec<u8>, String> {
    let promise = response.array_buffer().map_err(|e| js::error_text(&e))?;
    let buffer = JsFuture::from(promise)
        .await
        .map_err(|e| js::error_text(&e))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Where the bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Cache,
    Network,
}

/// The weights file of `entry`, checked against its sha256: from the Cache API when it holds a
/// good copy, otherwise downloaded (calling `progress(bytes_so_far, total)` as chunks arrive)
/// and then cached.
pub async fn fetch_weights(
    entry: &ManifestEntry,
    progress: &dyn Fn(u64, u64),
) -> Result<(Vec<u8>, Origin), String> {
    let url = format!("{WEIGHTS_DIR}{}", entry.file);
    // The key names the content, so a new file under the same name is never served stale.
    let key = format!("{url}?sha256={}", entry.sha256);
    let cache = open_cache().await;
    if let Some(cache) = &cache
        && let Ok(hit) = JsFuture::from(cache.match_with_str(&key)).await
        && let Ok(hit) = hit.dyn_into::<Response>()
    {
        match response_bytes(&hit).await {
            Ok(bytes) if entry.verify(&bytes).is_ok() => {
                progress(bytes.len() as u64, bytes.len() as u64);
                return Ok((bytes, Origin::Cache));
            }
            _ => {
                js::log(&format!(
                    "effnet: cached {url} is damaged; downloading it again"
                ));
                let _ = JsFuture::from(cache.delete_with_str(&key)).await;
            }
        }
    }

    let response = fetch(&url, false).await?;
    if response.status() == 404 {
        return Err(format!(
            "the weights file {url} is missing on the server (HTTP 404); the manifest lists it, so the site is incomplete"
        ));
    }
    if !response.ok() {
        return Err(format!(
            "cannot download {url}: HTTP {} {}",
            response.status(),
            response.status_text()
        ));
    }
    let total = response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(entry.bytes);
    let bytes = match response.body() {
        None => response_bytes(&response).await?,
        Some(body) => {
            let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
            let mut bytes = Vec::with_capacity(total as usize);
            progress(0, total);
            loop {
                let chunk = JsFuture::from(reader.read()).await.map_err(|e| {
                    format!("the download of {url} broke off: {}", js::error_text(&e))
                })?;
                if js::get(&chunk, "done").as_bool().unwrap_or(true) {
                    break;
                }
                let value: Uint8Array = js::get(&chunk, "value").unchecked_into();
                let start = bytes.len();
                bytes.resize(start + value.length() as usize, 0);
                value.copy_to(&mut bytes[start..]);
                progress(bytes.len() as u64, total.max(bytes.len() as u64));
            }
            bytes
        }
    };
    entry.verify(&bytes).map_err(|e| format!("{url}: {e}"))?;
    if let Some(cache) = &cache {
        let array = Uint8Array::from(&bytes[..]);
        let body: &js_sys::Object = &array;
        match Response::new_with_opt_buffer_source(Some(body)) {
            Ok(copy) => {
                if let Err(e) = JsFuture::from(cache.put_with_str(&key, &copy)).await {
                    js::log(&format!(
                        "effnet: could not cache {url}: {}",
                        js::error_text(&e)
                    ));
                }
            }
            Err(e) => js::log(&format!(
                "effnet: could not cache {url}: {}",
                js::error_text(&e)
            )),
        }
    }
    Ok((bytes, Origin::Network))
}

/// Forgets every cached weights file (a button, and tests).
pub async fn clear_cache() -> Result<(), String> {
    let caches = js::window().caches().map_err(|e| js::error_text(&e))?;
    JsFuture::from(caches.delete(CACHE_NAME))
        .await
        .map(|_: JsValue| ())
        .map_err(|e| js::error_text(&e))
}
