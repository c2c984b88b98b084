//! A still image from the visitor (file, drop, paste, sample): decoded, kept as the current
//! image, classified. Every failure becomes a message on the page.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::Blob;

use super::classify::classify;
use super::{engine, report};
use crate::app::platform::{image, listeners};
use crate::app::state::AppState;
use crate::app::state::results::InputKind;

/// Decodes `blob` and classifies it (a new request: older runs show nothing).
pub fn submit_blob(state: AppState, blob: Blob, name: String) {
    let ticket = engine().session.supersede();
    state.error.set(None);
    state.status.set(format!("Decoding {name}…"));
    spawn_local(async move {
        let decoded = image::decode_blob(&blob).await;
        let engine = engine();
        if !engine.session.is_current(ticket) {
            return;
        }
        match decoded {
            Err(why) => {
                state.error.set(Some(format!("{name}: {why}")));
                state.status.set(format!("{name} could not be used"));
            }
            Ok(d) => {
                let (w, h) = d.original;
                let label = if d.downscaled {
                    format!(
                        "{name} ({w}×{h}, scaled to {}×{} before reading)",
                        d.image.width, d.image.height
                    )
                } else {
                    format!("{name} ({w}×{h})")
                };
                state.input.set(Some(label.clone()));
                let image = Rc::new(d.image);
                engine.session.set_image((image.clone(), label.clone()));
                classify(state, image, label, InputKind::Image).await;
            }
        }
    });
}

/// Fetches a bundled sample (`static/samples/<file>`) and classifies it.
pub fn submit_sample(state: AppState, file: &'static str) {
    spawn_local(async move {
        let url = format!("static/samples/{file}");
        match image::fetch_blob(&url).await {
            Ok(blob) => submit_blob(state, blob, file.to_string()),
            Err(e) => report(state, format!("cannot load the sample {url}: {e}")),
        }
    });
}

/// Drag-and-drop anywhere on the page and paste: files are submitted; `dragging` follows the
/// hover (the page's drop overlay).
pub fn install_listeners(state: AppState, dragging: RwSignal<bool>) {
    listeners::install_drop_and_paste(
        move |on| dragging.set(on),
        move |blob, name| submit_blob(state, blob, name),
        move || {
            report(
                state,
                "nothing to classify was dropped (drop an image file)".into(),
            )
        },
    );
}
