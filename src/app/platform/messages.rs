//! How the page and the engine's worker write to each other: `{ json, bytes?, floats?,
//! moved? }`, the message as JSON with pixels and maps beside it as typed arrays whose buffers
//! are transferred, not copied, or a transferable object (a video frame's `ImageBitmap`) moved
//! to the other side.

use js_sys::{Array, Float32Array, Uint8Array};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

use super::js;

/// Posts `message` (and `bytes`, `floats`) to `target`: a `Worker`, or the worker's global
/// scope.
pub fn post(
    target: &JsValue,
    message: &impl Serialize,
    bytes: Option<&[u8]>,
    floats: Option<&[f32]>,
) -> Result<(), String> {
    let object = envelope(message)?;
    let transfer = Array::new();
    if let Some(bytes) = bytes {
        let array = Uint8Array::from(bytes);
        transfer.push(&array.buffer());
        js::set(&object, "bytes", &array);
    }
    if let Some(floats) = floats {
        let array = Float32Array::from(floats);
        transfer.push(&array.buffer());
        js::set(&object, "floats", &array);
    }
    js::call(target, "postMessage", &[object.into(), transfer.into()])
}

/// Posts `message` with `object` (an `ImageBitmap`) moved beside it: it is the receiver's from
/// then on, and unusable here.
pub fn post_moving(
    target: &JsValue,
    message: &impl Serialize,
    object: &JsValue,
) -> Result<(), String> {
    let data = envelope(message)?;
    js::set(&data, "moved", object);
    let transfer = Array::of1(object);
    js::call(target, "postMessage", &[data.into(), transfer.into()])
}

/// `{ json }`: what every message carries.
fn envelope(message: &impl Serialize) -> Result<js_sys::Object, String> {
    let json = serde_json::to_string(message).map_err(|e| e.to_string())?;
    let object = js_sys::Object::new();
    js::set(&object, "json", &json.into());
    Ok(object)
}

/// A message read back: what [`post`] sent.
pub struct Received<T> {
    pub message: T,
    pub bytes: Option<Vec<u8>>,
    pub floats: Option<Vec<f32>>,
    /// What [`post_moving`] moved.
    pub moved: Option<JsValue>,
}

pub fn read<T: DeserializeOwned>(data: &JsValue) -> Result<Received<T>, String> {
    let json = js::get_string(data, "json").ok_or("a message without json")?;
    let message = serde_json::from_str(&json).map_err(|e| format!("{e}: {json:.200}"))?;
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
