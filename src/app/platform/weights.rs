//! The manifest and the weights files: fetched lazily, streamed with progress, kept in the
//! browser's Cache API, checked against the manifest's sha256.

use effnet::session::LoadError;
use effnet::weights::manifest::{Manifest, ManifestEntry};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, Headers, ReadableStreamDefaultReader, RequestCache, RequestInit, Response};

use super::js;
use crate::app::state::load::ManifestState;

/// Where the site keeps `static/weights` (relative to the page).
pub const WEIGHTS_DIR: &str = "static/weights/";
const CACHE_NAME: &str = "effnet-weights-v1";

async fn fetch(url: &str, no_cache: bool) -> Result<Response, String> {
    let init = RequestInit::new();
    if no_cache {
        init.set_cache(RequestCache::NoCache);
    }
    let response = JsFuture::from(js::fetch(url, &init))
        .await
        .map_err(|e| fetch_failed(url, &e))?;
    Ok(response.unchecked_into())
}

/// The message for a request that failed before any response: offline, or why not.
fn fetch_failed(url: &str, error: &JsValue) -> String {
    if js::online() {
        format!("cannot fetch {url}: {}", js::error_text(error))
    } else {
        format!(
            "{url} is not stored in this browser and the network is unreachable (offline): connect to download it"
        )
    }
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
    let caches = js::caches()?;
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
pub use crate::app::state::load::WeightsOrigin as Origin;

/// The cache key of `entry`'s file: it names the content, so a new file under the same name is
/// never served stale.
fn cache_key(entry: &ManifestEntry) -> String {
    format!("{WEIGHTS_DIR}{}?sha256={}", entry.file, entry.sha256)
}

/// The variants (names) among `entries` whose weights the Cache API holds.
pub async fn stored(entries: &[ManifestEntry]) -> Vec<String> {
    let Some(cache) = open_cache().await else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries {
        if let Ok(hit) = JsFuture::from(cache.match_with_str(&cache_key(entry))).await
            && hit.is_instance_of::<Response>()
        {
            found.push(entry.variant.clone());
        }
    }
    found
}

/// A download that receives nothing for this long is given up (and can be retried: it resumes
/// where it stopped when the server takes range requests).
pub const STALL_MS: i32 = 15_000;

thread_local! {
    /// Bytes of downloads that broke off or stalled, by cache key: a retry asks for the rest.
    static PARTIAL: RefCell<HashMap<String, Vec<u8>>> = RefCell::new(HashMap::new());
}

enum Waited {
    Done(JsValue),
    Failed(JsValue),
    TimedOut,
}

/// Waits for `promise` at most `ms` milliseconds.
async fn within(promise: Promise, ms: i32) -> Waited {
    let sentinel: JsValue = js_sys::Object::new().into();
    let timer = Cell::new(None);
    let timeout = Promise::new(&mut |resolve, _| {
        timer.set(js::set_timeout(&resolve, ms, &sentinel));
    });
    let outcome = JsFuture::from(Promise::race(&js_sys::Array::of2(&promise, &timeout))).await;
    if let Some(id) = timer.get() {
        js::clear_timeout(id);
    }
    match outcome {
        Ok(v) if js_sys::Object::is(&v, &sentinel) => Waited::TimedOut,
        Ok(v) => Waited::Done(v),
        Err(e) => Waited::Failed(e),
    }
}

/// An `AbortController` (`None` where the browser has none).
fn abort_controller() -> Option<JsValue> {
    let ctor = js::get(&js_sys::global(), "AbortController")
        .dyn_into::<js_sys::Function>()
        .ok()?;
    Reflect::construct(&ctor, &js_sys::Array::new()).ok()
}

fn abort(controller: &Option<JsValue>) {
    if let Some(c) = controller
        && let Ok(f) = js::get(c, "abort").dyn_into::<js_sys::Function>()
    {
        let _ = f.call0(c);
    }
}

/// The weights file of `entry`, checked against its sha256: from the Cache API when it holds a
/// good copy, otherwise downloaded (calling `progress(bytes_so_far, total)` as chunks arrive)
/// and then cached. A download that stalls for [`STALL_MS`] or breaks off is given up with a
/// message (a retry resumes it); one that `wanted()` no longer wants stops at the next chunk
/// with [`LoadError::Superseded`].
pub async fn fetch_weights(
    entry: &ManifestEntry,
    progress: &dyn Fn(u64, u64),
    wanted: &dyn Fn() -> bool,
) -> Result<(Vec<u8>, Origin), LoadError<String>> {
    let url = format!("{WEIGHTS_DIR}{}", entry.file);
    let key = cache_key(entry);
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
    if !wanted() {
        return Err(LoadError::Superseded);
    }

    let mut bytes = PARTIAL
        .with(|p| p.borrow_mut().remove(&key))
        .unwrap_or_default();
    let controller = abort_controller();
    let init = RequestInit::new();
    if let Some(c) = &controller {
        js::set(&init, "signal", &js::get(c, "signal"));
    }
    if !bytes.is_empty() {
        let headers = Headers::new().map_err(|e| LoadError::Failed(js::error_text(&e)))?;
        let _ = headers.set("Range", &format!("bytes={}-", bytes.len()));
        init.set_headers(&headers);
    }
    let stalled = || {
        format!(
            "the download of {url} stalled (no data for {} s); retry to continue it",
            STALL_MS / 1000
        )
    };
    let response: Response = match within(js::fetch(&url, &init), STALL_MS).await {
        Waited::Done(r) => r.unchecked_into(),
        Waited::TimedOut => {
            abort(&controller);
            return Err(LoadError::Failed(stalled()));
        }
        Waited::Failed(e) => return Err(LoadError::Failed(fetch_failed(&url, &e))),
    };
    if response.status() == 404 {
        return Err(LoadError::Failed(format!(
            "the weights file {url} is missing on the server (HTTP 404); the manifest lists it, so the site is incomplete"
        )));
    }
    let resumed = response.status() == 206
        && response
            .headers()
            .get("content-range")
            .ok()
            .flatten()
            .is_some_and(|r| r.starts_with(&format!("bytes {}-", bytes.len())));
    if !resumed {
        bytes.clear();
    }
    if !response.ok() {
        return Err(LoadError::Failed(format!(
            "cannot download {url}: HTTP {} {}",
            response.status(),
            response.status_text()
        )));
    }
    let total = entry.bytes.max(bytes.len() as u64);
    let Some(body) = response.body() else {
        return Err(LoadError::Failed(format!(
            "cannot download {url}: the response has no body"
        )));
    };
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    progress(bytes.len() as u64, total);
    let keep = |bytes: Vec<u8>| {
        if !bytes.is_empty() {
            PARTIAL.with(|p| p.borrow_mut().insert(key.clone(), bytes));
        }
    };
    loop {
        let chunk = match within(reader.read(), STALL_MS).await {
            Waited::Done(chunk) => chunk,
            Waited::TimedOut => {
                abort(&controller);
                keep(bytes);
                return Err(LoadError::Failed(stalled()));
            }
            Waited::Failed(e) => {
                keep(bytes);
                return Err(LoadError::Failed(format!(
                    "the download of {url} broke off ({}); retry to continue it",
                    js::error_text(&e)
                )));
            }
        };
        if js::get(&chunk, "done").as_bool().unwrap_or(true) {
            break;
        }
        let value: Uint8Array = js::get(&chunk, "value").unchecked_into();
        let start = bytes.len();
        bytes.resize(start + value.length() as usize, 0);
        value.copy_to(&mut bytes[start..]);
        progress(bytes.len() as u64, total.max(bytes.len() as u64));
        if !wanted() {
            abort(&controller);
            keep(bytes);
            return Err(LoadError::Superseded);
        }
    }
    entry
        .verify(&bytes)
        .map_err(|e| LoadError::Failed(format!("{url}: {e}")))?;
    let Some(cache) = &cache else {
        return Ok((bytes, Origin::NetworkNotStored("no Cache API here".into())));
    };
    let array = Uint8Array::from(&bytes[..]);
    let body: &js_sys::Object = &array;
    let stored = match Response::new_with_opt_buffer_source(Some(body)) {
        Ok(copy) => JsFuture::from(cache.put_with_str(&key, &copy))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match stored {
        Ok(()) => Ok((bytes, Origin::Network)),
        Err(e) => {
            let why = js::error_text(&e);
            js::log(&format!("effnet: could not cache {url}: {why}"));
            Ok((bytes, Origin::NetworkNotStored(why)))
        }
    }
}

/// Forgets every cached weights file (a button, and tests).
pub async fn clear_cache() -> Result<(), String> {
    let caches = js::caches().ok_or("this browser has no Cache API here")?;
    JsFuture::from(caches.delete(CACHE_NAME))
        .await
        .map(|_: JsValue| ())
        .map_err(|e| js::error_text(&e))
}
