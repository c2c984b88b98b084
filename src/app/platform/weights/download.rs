//! Downloading a weights file: streamed with progress, given up when it stalls, resumed with a
//! range request where it broke off.

use std::cell::RefCell;
use std::collections::HashMap;

use effnet::session::Wanted;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, ReadableStreamDefaultReader, RequestCache, RequestInit, Response};

use crate::app::platform::js;
use crate::app::state::error::AppError;

/// A download that receives nothing for this long is given up (and can be retried: it resumes
/// where it stopped when the server takes range requests).
pub const STALL_MS: i32 = AppError::STALL_S * 1000;

/// The error for a request that failed before any response: offline, or why not.
fn fetch_failed(url: &str, error: &JsValue) -> AppError {
    if js::online() {
        AppError::FetchFailed {
            url: url.into(),
            detail: js::error_text(error),
        }
    } else {
        AppError::Offline { url: url.into() }
    }
}

/// `url`, asked of the server again (not from the HTTP cache): the manifest.
pub async fn fetch_fresh(url: &str) -> Result<Response, AppError> {
    let init = RequestInit::new();
    init.set_cache(RequestCache::NoCache);
    JsFuture::from(js::fetch(url, &init))
        .await
        .map(|r| r.unchecked_into())
        .map_err(|e| fetch_failed(url, &e))
}

/// An `AbortController`, to stop a download that stalled or that nobody wants (`None` where
/// the browser has none).
struct Abort(Option<JsValue>);

impl Abort {
    fn new(init: &RequestInit) -> Self {
        let controller = js::get(&js_sys::global(), "AbortController")
            .dyn_into::<js_sys::Function>()
            .ok()
            .and_then(|ctor| Reflect::construct(&ctor, &js_sys::Array::new()).ok());
        if let Some(c) = &controller {
            js::set(init, "signal", &js::get(c, "signal"));
        }
        Self(controller)
    }

    fn abort(&self) {
        if let Some(c) = &self.0 {
            let _ = js::call(c, "abort", &[]);
        }
    }
}

/// Bytes of downloads that broke off or stalled, by cache key: a retry asks for the rest.
#[derive(Default)]
pub struct Partial(RefCell<HashMap<String, Vec<u8>>>);

impl Partial {
    fn take(&self, key: &str) -> Vec<u8> {
        self.0.borrow_mut().remove(key).unwrap_or_default()
    }

    fn keep(&self, key: &str, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            self.0.borrow_mut().insert(key.to_string(), bytes);
        }
    }

    /// `url`'s bytes (`expected` of them, says the manifest), resuming what was kept under
    /// `key`; on a stall, a break or a cancellation, what arrived is kept for the next try.
    pub async fn download(
        &self,
        url: &str,
        key: &str,
        expected: u64,
        progress: &dyn Fn(u64, u64),
        wanted: &Wanted,
    ) -> Result<Vec<u8>, AppError> {
        let mut bytes = self.take(key);
        let init = RequestInit::new();
        let abort = Abort::new(&init);
        let response = match request(url, &init, bytes.len()).await {
            Ok(response) => response,
            Err(e) => {
                abort.abort();
                self.keep(key, bytes);
                return Err(e);
            }
        };
        if !resumes(&response, bytes.len()) {
            bytes.clear();
        }
        let reader: ReadableStreamDefaultReader = response
            .body()
            .ok_or_else(|| AppError::NoBody { url: url.into() })?
            .get_reader()
            .unchecked_into();
        let total = expected.max(bytes.len() as u64);
        progress(bytes.len() as u64, total);
        loop {
            match read_chunk(&reader, url).await {
                Ok(Some(chunk)) => {
                    let start = bytes.len();
                    bytes.resize(start + chunk.length() as usize, 0);
                    chunk.copy_to(&mut bytes[start..]);
                    progress(bytes.len() as u64, total.max(bytes.len() as u64));
                    if !wanted.get() {
                        abort.abort();
                        self.keep(key, bytes);
                        return Err(AppError::Cancelled);
                    }
                }
                Ok(None) => return Ok(bytes),
                Err(e) => {
                    abort.abort();
                    self.keep(key, bytes);
                    return Err(e);
                }
            }
        }
    }
}

/// The response to `url` (asking for the bytes after `have` when some are kept), or why none
/// came within [`STALL_MS`].
async fn request(url: &str, init: &RequestInit, have: usize) -> Result<Response, AppError> {
    if have > 0 {
        let headers = Headers::new().map_err(|e| AppError::browser(js::error_text(&e)))?;
        let _ = headers.set("Range", &format!("bytes={have}-"));
        init.set_headers(&headers);
    }
    let response: Response = match js::within(JsFuture::from(js::fetch(url, init)), STALL_MS).await
    {
        None => return Err(AppError::Stalled { url: url.into() }),
        Some(Err(e)) => return Err(fetch_failed(url, &e)),
        Some(Ok(r)) => r.unchecked_into(),
    };
    match response.status() {
        404 => Err(AppError::WeightsMissing { url: url.into() }),
        _ if !response.ok() => Err(AppError::Http {
            url: url.into(),
            status: response.status(),
            status_text: response.status_text(),
        }),
        _ => Ok(response),
    }
}

/// Whether `response` continues a download that has `have` bytes (a 206 starting there).
fn resumes(response: &Response, have: usize) -> bool {
    response.status() == 206
        && response
            .headers()
            .get("content-range")
            .ok()
            .flatten()
            .is_some_and(|r| r.starts_with(&format!("bytes {have}-")))
}

/// The next chunk of the body (`None` at its end), or why none came.
async fn read_chunk(
    reader: &ReadableStreamDefaultReader,
    url: &str,
) -> Result<Option<Uint8Array>, AppError> {
    let chunk = match js::within(JsFuture::from(reader.read()), STALL_MS).await {
        None => return Err(AppError::Stalled { url: url.into() }),
        Some(Err(e)) => {
            return Err(AppError::BrokeOff {
                url: url.into(),
                detail: js::error_text(&e),
            });
        }
        Some(Ok(chunk)) => chunk,
    };
    if js::get(&chunk, "done").as_bool().unwrap_or(true) {
        return Ok(None);
    }
    Ok(Some(js::get(&chunk, "value").unchecked_into()))
}
