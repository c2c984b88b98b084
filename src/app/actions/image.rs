//! A still image from the visitor (file, drop, paste, sample): decoded, kept as the current
//! image, classified. Every failure becomes a message on the page.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::Blob;

use super::classify::classify;
use super::{App, report};
use crate::app::platform::{image, listeners};
use crate::app::state::activity::Activity;
use crate::app::state::error::AppError;
use crate::app::state::results::InputKind;

/// Decodes `blob` and classifies it (a new request: older runs show nothing).
pub fn submit_blob(app: App, blob: Blob, name: String) {
    let state = app.state;
    let ticket = app.engine().session.supersede();
    state.error.set(None);
    state.activity.set(Activity::Decoding {
        input: name.clone(),
    });
    spawn_local(async move {
        let decoded = image::decode_blob(&blob, &app.readback()).await;
        let engine = app.engine();
        if !engine.session.is_current(ticket) {
            return;
        }
        match decoded {
            Err(error) => {
                state.error.set(Some(AppError::Input {
                    name: name.clone(),
                    cause: Box::new(error),
                }));
                state.activity.set(Activity::Unusable { input: name });
            }
            Ok(d) => {
                let label = if d.downscaled {
                    format!(
                        "{name} ({}, scaled to {}×{} before reading)",
                        d.original, d.image.width, d.image.height
                    )
                } else {
                    format!("{name} ({})", d.original)
                };
                state.input.set(Some(label.clone()));
                let image = Rc::new(d.image);
                engine.session.set_image((image.clone(), label.clone()));
                classify(app, image, label, InputKind::Image).await;
            }
        }
    });
}

/// Fetches a bundled sample (`static/samples/<file>`) and classifies it.
pub fn submit_sample(app: App, file: &'static str) {
    spawn_local(async move {
        let url = format!("static/samples/{file}");
        match image::fetch_blob(&url).await {
            Ok(blob) => submit_blob(app, blob, file.to_string()),
            Err(e) => report(app, e),
        }
    });
}

/// Drag-and-drop anywhere on the page and paste: files are submitted; `dragging` follows the
/// hover (the page's drop overlay).
pub fn install_listeners(app: App, dragging: RwSignal<bool>) {
    listeners::install_drop_and_paste(
        move |on| dragging.set(on),
        move |blob, name| submit_blob(app, blob, name),
        move || report(app, AppError::NothingDropped),
    );
}
