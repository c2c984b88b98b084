//! How the page and the engine's worker write to each other: `{ json, bytes?, floats?,
//! moved? }`, the message as JSON with pixels and maps beside it as typed arrays whose buffers
//! are transferred, not copied, or a transferable object (a video frame's `ImageBitmap`) moved
//! to the other side.

use js_sys::{Array, Float32Array, Uint8Array};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

use super::js;
use crate::app::state::error::AppError;

/// What travels beside a message.
#[derive(Default)]
pub struct Beside<'a> {
    /// Bytes (a photo's RGB, a crop), copied into a buffer that is transferred.
    pub bytes: Option<&'a [u8]>,
    /// Floats (activation maps), likewise.
    pub floats: Option<&'a [f32]>,
    /// A transferable object (an `ImageBitmap`): the receiver's from then on, unusable here.
    pub moved: Option<&'a JsValue>,
}

impl<'a> Beside<'a> {
    pub fn bytes(bytes: &'a [u8]) -> Self {
        Self {
            bytes: Some(bytes),
            ..Self::default()
        }
    }

    pub fn moved(object: &'a JsValue) -> Self {
        Self {
            moved: Some(object),
            ..Self::default()
        }
    }
}

fn transport(detail: impl Into<String>) -> AppError {
    AppError::Transport {
        detail: detail.into(),
    }
}

/// Posts `message` with what goes `beside` it to `target`: a `Worker`, or the worker's global
/// scope.
pub fn post(target: &JsValue, message: &impl Serialize, beside: Beside) -> Result<(), AppError> {
    let json = serde_json::to_string(message).map_err(|e| transport(e.to_string()))?;
    let object = js_sys::Object::new();
    js::set(&object, "json", &json.into());
    let transfer = Array::new();
    if let Some(bytes) = beside.bytes {
        let array = Uint8Array::from(bytes);
        transfer.push(&array.buffer());
        js::set(&object, "bytes", &array);
    }
    if let Some(floats) = beside.floats {
        let array = Float32Array::from(floats);
        transfer.push(&array.buffer());
        js::set(&object, "floats", &array);
    }
    if let Some(moved) = beside.moved {
        transfer.push(moved);
        js::set(&object, "moved", moved);
    }
    js::call(target, "postMessage", &[object.into(), transfer.into()])
        .map_err(|e| transport(e.to_string()))
}

/// A message read back: what [`post`] sent.
pub struct Received<T> {
    pub message: T,
    pub bytes: Option<Vec<u8>>,
    pub floats: Option<Vec<f32>>,
    /// What was moved beside it.
    pub moved: Option<JsValue>,
}

pub fn read<T: DeserializeOwned>(data: &JsValue) -> Result<Received<T>, AppError> {
    let json = js::get_string(data, "json").ok_or_else(|| transport("a message without json"))?;
    let message =
        serde_json::from_str(&json).map_err(|e| transport(format!("{e}: {json:.200}")))?;
    let bytes = js::get(data, "bytes");
    let floats = js::get(data, "floats");
    let moved = js::get(data, "moved");
    Ok(Received {
        moved: (!moved.is_undefined()).then_some(moved),
        message,
        bytes: (!bytes.is_undefined()).then(|| Uint8Array::new(&bytes).to_vec()),
        floats: (!floats.is_undefined()).then(|| Float32Array::new(&floats).to_vec()),
    })
}
