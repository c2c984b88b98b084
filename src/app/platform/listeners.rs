//! Page-wide listeners whose events become actions (the callbacks).

use leptos::prelude::window_event_listener;
use web_sys::Blob;

use super::image::transfer::{first_file, first_of};

/// Drag-and-drop anywhere on the page and paste from the clipboard: `dragging` hears when a
/// drag hovers over the window or leaves it, `file` gets the first file of a drop or paste
/// (with the name to show), `nothing` a drop without a file.
pub fn install_drop_and_paste(
    dragging: impl Fn(bool) + Clone + 'static,
    file: impl Fn(Blob, String) + Clone + 'static,
    nothing: impl Fn() + 'static,
) {
    let hover = dragging.clone();
    let _ = window_event_listener(leptos::ev::dragover, move |ev| {
        ev.prevent_default();
        hover(true);
    });
    let leave = dragging.clone();
    let _ = window_event_listener(leptos::ev::dragleave, move |ev| {
        // Leaving the window (not moving between children) ends the hover.
        if ev.related_target().is_none() {
            leave(false);
        }
    });
    let dropped = file.clone();
    let _ = window_event_listener(leptos::ev::drop, move |ev| {
        ev.prevent_default();
        dragging(false);
        match ev.data_transfer().as_ref().and_then(first_file) {
            Some((f, count)) => {
                let name = first_of(f.name(), count);
                dropped(f.into(), name);
            }
            None => nothing(),
        }
    });
    let _ = window_event_listener(leptos::ev::paste, move |ev| {
        let Some(transfer) = ev.clipboard_data() else {
            return;
        };
        if let Some((f, count)) = first_file(&transfer) {
            ev.prevent_default();
            let name = if f.name().is_empty() {
                "a pasted image".to_string()
            } else {
                format!("{} (pasted)", f.name())
            };
            file(f.into(), first_of(name, count));
        }
    });
}
