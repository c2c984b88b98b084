//! Keyboard moves inside a composite widget (WAI-ARIA tabs and radio groups): the arrow keys
//! step through the items, wrapping, Home and End jump to the ends; the widget is one Tab stop.

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
