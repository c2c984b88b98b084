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
    submit(app, blob, name, None);
}

/// [`submit_blob`], saying which bundled sample it is (the gallery marks it).
fn submit(app: App, blob: Blob, name: String, sample: Option<&'static str>) {
    let state = app.state;
    // A still image is the visitor's input now: the webcam stops (its frames would otherwise
    // go on under this image's name).
    if super::webcam::running(app) {
        super::webcam::stop(app, None);
    }
    let ticket = app.begin(
        Some(name.clone()),
        Activity::Decoding {
            input: name.clone(),
        },
    );
    state.error.set(None);
    state.sample.set(sample);
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
                app.show(ticket, Activity::Unusable { input: name });
            }
            Ok(d) => {
                let label = label(&name, &d);
                app.show_input(ticket, label.clone());
                let image = Rc::new(d.image);
                engine.session.set_image((image.clone(), label.clone()));
                let began = state.screen.with_untracked(|s| s.began_ms);
                classify(app, image, label, InputKind::Image, began).await;
            }
        }
    });
}

/// The name shown for a picture: its file's, its size, and what was done to it.
fn label(name: &str, d: &image::Decoded) -> String {
    let (w, h) = (d.image.width, d.image.height);
    if d.downscaled {
        format!("{name} ({}, scaled to {w}×{h} before reading)", d.original)
    } else {
        format!("{name} ({})", d.original)
    }
}

/// Fetches a bundled sample (`static/samples/<file>`) and classifies it.
pub fn submit_sample(app: App, file: &'static str) {
    spawn_local(async move {
        match image::fetch_blob(&sample_url(file)).await {
            Ok(blob) => submit(app, blob, file.to_string(), Some(file)),
            Err(e) => report(app, e),
        }
    });
}

fn sample_url(file: &str) -> String {
    format!("static/samples/{file}")
}

/// The page's opening: the sample `file` classified, when it can be fetched (`false`: it
/// cannot, e.g. offline before the service worker kept it; nothing is said then).
pub(super) async fn open_on_sample(app: App, file: &'static str) -> bool {
    match image::fetch_blob(&sample_url(file)).await {
        Ok(blob) => {
            submit(app, blob, file.to_string(), Some(file));
            true
        }
        Err(e) => {
            crate::app::platform::js::log(&format!("effnet: no opening sample: {e}"));
            false
        }
    }
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
