//! The engine's Web Worker as a message port: started from `site/worker.js` (named by the
//! page's `effnet-worker` meta tag) with the wasm module the page itself runs (kept by
//! site/boot.js in `window.__effnetBoot`), so the worker compiles and downloads nothing.
//!
//! Made in three steps, so that whoever listens can own the port: [`WorkerPort::new`] makes the
//! worker, [`WorkerPort::listen`] hands it its callbacks, [`WorkerPort::boot`] starts its wasm.

use std::cell::RefCell;

use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::js;
use super::messages::{self, Beside};
use crate::app::state::error::AppError;

type Listeners = (
    Closure<dyn FnMut(MessageEvent)>,
    Closure<dyn FnMut(web_sys::Event)>,
);

pub struct WorkerPort {
    worker: Worker,
    boot: JsValue,
    listeners: RefCell<Option<Listeners>>,
}

fn start_error(why: impl Into<String>) -> AppError {
    AppError::WorkerStart { why: why.into() }
}

impl WorkerPort {
    /// Makes the worker (its script runs, its wasm not yet).
    pub fn new() -> Result<Self, AppError> {
        let script = js::document()
            .query_selector("meta[name=effnet-worker]")
            .ok()
            .flatten()
            .and_then(|m| m.get_attribute("content"))
            .ok_or_else(|| start_error("this page names no worker script (meta effnet-worker)"))?;
        let boot = js::get(&js::window().into(), "__effnetBoot");
        if boot.is_undefined() {
            return Err(start_error(
                "the page was not started by boot.js (no __effnetBoot)",
            ));
        }
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(&script, &options)
            .map_err(|e| start_error(js::error_text(&e)))?;
        Ok(Self {
            worker,
            boot,
            listeners: RefCell::new(None),
        })
    }

    /// `on_message` gets each message's data; `on_error` hears once why the worker stopped or
    /// could not start (an uncaught error, a trap in its wasm, a failed boot).
    pub fn listen(
        &self,
        on_message: impl Fn(JsValue) + 'static,
        on_error: impl Fn(String) + 'static,
    ) {
        let on_error = std::rc::Rc::new(on_error);
        let on_message = {
            let on_error = on_error.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let data = event.data();
                match js::get_string(&data, "bootError") {
                    Some(why) => on_error(format!("the worker could not start: {why}")),
                    None => on_message(data),
                }
            })
        };
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            event.prevent_default();
            let why = match event.dyn_ref::<ErrorEvent>() {
                Some(e) if !e.message().is_empty() => e.message(),
                _ => format!("{} event", event.type_()),
            };
            on_error(why);
        });
        self.worker
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        self.worker
            .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        self.worker
            .set_onmessageerror(Some(on_error.as_ref().unchecked_ref()));
        *self.listeners.borrow_mut() = Some((on_message, on_error));
    }

    /// Starts the worker's wasm with the page's module.
    pub fn boot(&self) -> Result<(), AppError> {
        let start = js_sys::Object::new();
        js::set(&start, "boot", &self.boot);
        self.worker
            .post_message(&start)
            .map_err(|e| start_error(js::error_text(&e)))
    }

    pub fn post(&self, message: &impl Serialize, beside: Beside) -> Result<(), AppError> {
        messages::post(self.worker.as_ref(), message, beside)
    }

    /// Stops the worker at once (its messages and errors are no longer heard; the callbacks
    /// live until the port is dropped, since this may be called from inside one).
    pub fn terminate(&self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.set_onmessageerror(None);
        self.worker.terminate();
    }
}
