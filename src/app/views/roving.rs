//! Keyboard moves inside a composite widget (WAI-ARIA tabs and radio groups): the arrow keys
//! step through the items, wrapping, Home and End jump to the ends, and the focus follows; the
//! widget is one Tab stop (the chosen item has tabindex 0, the others -1).

use leptos::html::Button;
use leptos::prelude::*;

/// The item `key` moves to from `index` among `len`, or `None` for any other key.
pub fn step(key: &str, index: usize, len: usize) -> Option<usize> {
    match key {
        "ArrowRight" | "ArrowDown" => Some((index + 1) % len),
        "ArrowLeft" | "ArrowUp" => Some((index + len - 1) % len),
        "Home" => Some(0),
        "End" => Some(len - 1),
        _ => None,
    }
}

/// The items' buttons, to move the focus between them.
pub fn buttons(len: usize) -> Vec<NodeRef<Button>> {
    (0..len).map(|_| NodeRef::new()).collect()
}

/// The keydown handler of item `index`: on a moving key, `choose` the item it moves to and focus it.
pub fn on_keydown(
    items: Vec<NodeRef<Button>>,
    index: usize,
    choose: impl Fn(usize) + 'static,
) -> impl Fn(leptos::ev::KeyboardEvent) + 'static {
    move |ev| {
        if let Some(next) = step(&ev.key(), index, items.len()) {
            ev.prevent_default();
            choose(next);
            if let Some(item) = items[next].get_untracked() {
                let _ = item.focus();
            }
        }
    }
}
