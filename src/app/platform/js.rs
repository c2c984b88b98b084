//! Small helpers around the browser APIs the other modules share.

use js_sys::{Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::app::state::error::AppError;

/// A thrown value or rejection as an error of the browser.
pub fn browser_error(value: &JsValue) -> AppError {
    AppError::browser(error_text(value))
}

pub fn window() -> web_sys::Window {
    web_sys::window().expect("the page runs in a window")
}

pub fn document() -> web_sys::Document {
    window().document().expect("the window has a document")
}

/// A function of the global scope (the window's or the worker's), e.g. `fetch`.
pub fn global_fn(name: &str) -> Option<js_sys::Function> {
    get(&js_sys::global(), name).dyn_into().ok()
}

/// Milliseconds since the page (or the worker) started (`performance.now()`).
pub fn now() -> f64 {
    get(&js_sys::global(), "performance")
        .dyn_into::<web_sys::Performance>()
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// `setTimeout(callback, ms, argument)` in the window or the worker: the timer's id.
pub fn set_timeout(callback: &js_sys::Function, ms: i32, argument: &JsValue) -> Option<i32> {
    let set = global_fn("setTimeout")?;
    let args = js_sys::Array::of3(callback, &JsValue::from(ms), argument);
    set.apply(&JsValue::UNDEFINED, &args)
        .ok()?
        .as_f64()
        .map(|id| id as i32)
}

pub fn clear_timeout(id: i32) {
    if let Some(clear) = global_fn("clearTimeout") {
        let _ = clear.call1(&JsValue::UNDEFINED, &JsValue::from(id));
    }
}

/// Waits `ms` milliseconds without blocking the page (a `setTimeout` promise). `sleep(0)` lets
/// the browser paint and handle events before long synchronous work.
pub async fn sleep(ms: i32) {
    Timeout::new(ms).await
}

/// A `setTimeout` as a future: ready after its milliseconds; dropped earlier, its timer is
/// cleared (so a timeout that lost a race leaves nothing pending).
pub struct Timeout {
    timer: Option<i32>,
    done: JsFuture,
}

impl Timeout {
    pub fn new(ms: i32) -> Self {
        let mut timer = None;
        let promise = Promise::new(&mut |resolve, _reject| {
            timer = set_timeout(&resolve, ms, &JsValue::UNDEFINED);
        });
        Self {
            timer,
            done: JsFuture::from(promise),
        }
    }
}

impl std::future::Future for Timeout {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        match std::pin::Pin::new(&mut self.done).poll(cx) {
            std::task::Poll::Ready(_) => {
                self.timer = None;
                std::task::Poll::Ready(())
            }
            std::task::Poll::Pending => std::task::Poll::Pending,
        }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(id) = self.timer.take() {
            clear_timeout(id);
        }
    }
}

/// `future`'s output, or `None` when `ms` milliseconds pass first (the one timeout helper: the
/// worker's start, a stalled download).
pub async fn within<F: std::future::Future>(future: F, ms: i32) -> Option<F::Output> {
    use futures_util::future::{Either, select};
    let future = std::pin::pin!(future);
    match select(future, Timeout::new(ms)).await {
        Either::Left((value, _)) => Some(value),
        Either::Right(_) => None,
    }
}

/// `fetch(url, init)` of the window or the worker.
pub fn fetch(url: &str, init: &web_sys::RequestInit) -> Promise {
    global_fn("fetch")
        .and_then(|f| f.call2(&JsValue::UNDEFINED, &url.into(), init).ok())
        .and_then(|p| p.dyn_into().ok())
        .unwrap_or_else(|| Promise::reject(&"this browser has no fetch".into()))
}

/// The Cache API (`caches`), where there is one (secure contexts only).
pub fn caches() -> Option<web_sys::CacheStorage> {
    get(&js_sys::global(), "caches").dyn_into().ok()
}

/// `navigator` of the window or the worker.
pub fn navigator() -> JsValue {
    get(&js_sys::global(), "navigator")
}

/// `navigator.onLine` (true when the browser does not say).
pub fn online() -> bool {
    get(&navigator(), "onLine").as_bool().unwrap_or(true)
}

/// Gives the event loop a turn and comes back as soon as possible: a message posted to a
/// `MessageChannel` is a new task at once, where a `setTimeout(0)` from a timer continuation
/// is clamped to ≥ 4 ms after a few levels of nesting (a lot, between the blocks of a forward
/// pass). Falls back to `sleep(0)` without `MessageChannel`.
pub async fn yield_now() {
    let mut posted = false;
    let promise = Promise::new(&mut |resolve, _reject| {
        let Ok(ctor) = get(&js_sys::global(), "MessageChannel").dyn_into::<js_sys::Function>()
        else {
            return;
        };
        let Ok(channel) = Reflect::construct(&ctor, &js_sys::Array::new()) else {
            return;
        };
        let (receiver, sender) = (get(&channel, "port1"), get(&channel, "port2"));
        let _ = Reflect::set(&receiver, &"onmessage".into(), &resolve);
        if let Ok(post) = get(&sender, "postMessage").dyn_into::<js_sys::Function>() {
            posted = post.call1(&sender, &JsValue::UNDEFINED).is_ok();
        }
    });
    if posted {
        let _ = JsFuture::from(promise).await;
    } else {
        sleep(0).await;
    }
}

/// A readable message for a rejected promise or thrown value.
pub fn error_text(value: &JsValue) -> String {
    if let Some(err) = value.dyn_ref::<js_sys::Error>() {
        let name = String::from(err.name());
        let message = String::from(err.message());
        if name.is_empty() || name == "Error" {
            message
        } else {
            format!("{name}: {message}")
        }
    } else if let Some(s) = value.as_string() {
        s
    } else {
        format!("{value:?}")
    }
}

/// `object[key]`, or `undefined`.
pub fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `object[key]` as a string, if it is one.
pub fn get_string(object: &JsValue, key: &str) -> Option<String> {
    get(object, key).as_string()
}

/// The value of `name` in the page's query string (`?bench&backend=cpu`): `Some("")` for a bare
/// flag, `None` when absent.
pub fn query_param(name: &str) -> Option<String> {
    let search = window().location().search().ok()?;
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| value.to_string())
    })
}

/// Opens this page again with the query parameter `name` set to `value` (the others kept).
pub fn reload_with_param(name: &str, value: &str) {
    let location = window().location();
    let Ok(href) = location.href() else { return };
    let Ok(url) = web_sys::Url::new(&href) else {
        return;
    };
    url.search_params().set(name, value);
    let _ = location.replace(&url.href());
}

/// Logs to the browser console (tests read it).
pub fn log(message: &str) {
    web_sys::console::log_1(&JsValue::from_str(message));
}

/// A detached 2D canvas of the given size and its context (`willReadFrequently`: pixels are
/// read back every time).
pub fn canvas_2d(
    width: u32,
    height: u32,
) -> Result<
    (
        web_sys::HtmlCanvasElement,
        web_sys::CanvasRenderingContext2d,
    ),
    AppError,
> {
    let canvas: web_sys::HtmlCanvasElement = document()
        .create_element("canvas")
        .map_err(|e| browser_error(&e))?
        .unchecked_into();
    canvas.set_width(width);
    canvas.set_height(height);
    let ctx = context_2d(&canvas)?;
    Ok((canvas, ctx))
}

/// The 2D context of `canvas`.
pub fn context_2d(
    canvas: &web_sys::HtmlCanvasElement,
) -> Result<web_sys::CanvasRenderingContext2d, AppError> {
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"willReadFrequently".into(), &JsValue::TRUE);
    canvas
        .get_context_with_context_options("2d", &options)
        .map_err(|e| browser_error(&e))?
        .ok_or_else(|| AppError::browser("this browser gives no 2D canvas"))?
        .dyn_into()
        .map_err(|_| AppError::browser("unexpected canvas context"))
}

/// `object[key] = value` (ignoring failure: only on plain objects and elements here).
pub fn set(object: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// `object.method(...args)`, its result ignored.
pub fn call(object: &JsValue, method: &str, args: &[JsValue]) -> Result<(), AppError> {
    apply(object, method, args).map(|_| ())
}

/// `object.method(...args)` when it returns a promise.
pub fn call_method(object: &JsValue, method: &str, args: &[JsValue]) -> Result<Promise, AppError> {
    apply(object, method, args)?
        .dyn_into::<Promise>()
        .map_err(|_| AppError::browser(format!("{method} did not return a promise")))
}

/// `object.method(...args)` and its result.
pub fn apply(object: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, AppError> {
    let function = get(object, method)
        .dyn_into::<js_sys::Function>()
        .map_err(|_| AppError::browser(format!("this browser has no {method}")))?;
    let args: js_sys::Array = args.iter().collect();
    function.apply(object, &args).map_err(|e| browser_error(&e))
}
