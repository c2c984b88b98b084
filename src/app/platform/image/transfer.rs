//! Files out of a drop or a paste (`DataTransfer`).

/// The first file of a drop or paste, if any, and how many files there were.
pub fn first_file(transfer: &web_sys::DataTransfer) -> Option<(web_sys::File, u32)> {
    if let Some(files) = transfer.files()
        && let Some(file) = files.get(0)
    {
        return Some((file, files.length()));
    }
    let items = transfer.items();
    (0..items.length())
        .filter_map(|i| items.get(i))
        .find(|it| it.kind() == "file")
        .and_then(|it| it.get_as_file().ok().flatten())
        .map(|file| (file, 1))
}

/// The name shown for the first of `count` files (the page classifies one image at a time).
pub fn first_of(name: String, count: u32) -> String {
    match count {
        0 | 1 => name,
        n => format!(
            "{name} (the first of {n} files; the other {} were ignored: one image at a time)",
            n - 1
        ),
    }
}
