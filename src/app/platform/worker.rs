//! The engine's Web Worker as a message port: started from `site/worker.js` (named by the
//! page's `effnet-worker` meta tag) with the wasm module the page itself runs (kept by
//! site/boot.js in `window.__effnetBoot`), so the worker compiles and downloads nothing.

use serde::Serialize;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::{js, messages};

pub struct WorkerPort {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl WorkerPort {
    /// Starts the worker. `on_message` gets each message's data; `on_error` hears once why the
    /// worker stopped or could not start (an uncaught error, a trap in its wasm, a failed boot).
    pub fn spawn(
        on_message: impl Fn(JsValue) + 'static,
        on_error: impl Fn(String) + 'static,
    ) -> Result<Self, String> {
        let script = js::document()
            .query_selector("meta[name=effnet-worker]")
            .ok()
            .flatten()
            .and_then(|m| m.get_attribute("content"))
            .ok_or("this page names no worker script (meta effnet-worker)")?;
        let boot = js::get(&js::window().into(), "__effnetBoot");
        if boot.is_undefined() {
            return Err("the page was not started by boot.js (no __effnetBoot)".into());
        }
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(&script, &options).map_err(|e| js::error_text(&e))?;
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
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker.set_onmessageerror(Some(on_error.as_ref().unchecked_ref()));
        let start = js_sys::Object::new();
        js::set(&start, "boot", &boot);
        worker
            .post_message(&start)
            .map_err(|e| js::error_text(&e))?;
        Ok(Self {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    pub fn post(
        &self,
        message: &impl Serialize,
        bytes: Option<&[u8]>,
        floats: Option<&[f32]>,
    ) -> Result<(), String> {
        messages::post(self.worker.as_ref(), message, bytes, floats)
    }

    /// Posts `message` with `object` (a video frame's `ImageBitmap`) moved to the worker.
    pub fn post_moving(&self, message: &impl Serialize, object: &JsValue) -> Result<(), String> {
        messages::post_moving(self.worker.as_ref(), message, object)
    }

    /// Stops the worker at once (its messages and errors are no longer heard).
    pub fn terminate(&self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.set_onmessageerror(None);
        self.worker.terminate();
    }
}
