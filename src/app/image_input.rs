//! Still images: file picker, drag-and-drop anywhere, paste, and the bundled samples. JPEGs
//! are decoded by the core crate's decoder, the CLI's, so the page sees the very pixels
//! `effnet classify` does (browsers' JPEG decoders differ in their last bits); every other
//! format, and JPEGs too large to read whole, by the browser (createImageBitmap, EXIF
//! orientation applied, no colour conversion) through a 2D canvas. The core crate preprocesses.

use std::rc::Rc;

use effnet::preprocess::RgbImage;
use js_sys::Uint8Array;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ColorSpaceConversion, ImageBitmap, ImageBitmapOptions, PremultiplyAlpha, ResizeQuality,
};

use super::inference::{self, InputKind};
use super::{AppState, js};

/// Images with a side or a pixel count beyond these are scaled down by the browser before
/// their pixels are read (an 8000×8000 photo would need 256 MB as RGBA). Ordinary photos
/// (12 MP, 4032×3024) are below both and read exactly as decoded.
pub const MAX_SIDE: u32 = 4096;
pub const MAX_PIXELS: u64 = 4096 * 4096;

/// The bundled photos (static/samples; see static/ATTRIBUTION.md).
pub const SAMPLES: [(&str, &str); 5] = [
    ("chelsea.png", "a cat (Chelsea)"),
    ("coffee.png", "a cup of coffee"),
    ("camera.png", "the cameraman"),
    ("astronaut.png", "an astronaut (Eileen Collins)"),
    ("rocket.jpg", "a rocket launch"),
];

/// A decoded picture and what was done to it.
pub struct Decoded {
    pub image: RgbImage,
    pub original: (u32, u32),
    pub downscaled: bool,
}

fn bitmap_options() -> ImageBitmapOptions {
    let options = ImageBitmapOptions::new();
    // The pixels as stored in the file, as Pillow reads them.
    options.set_color_space_conversion(ColorSpaceConversion::None);
    options.set_premultiply_alpha(PremultiplyAlpha::None);
    options
}

/// Decodes an image file (or pasted/dropped blob) into RGB.
pub async fn decode_blob(blob: &Blob) -> Result<Decoded, String> {
    if blob.size() == 0.0 {
        return Err("the file is empty (0 bytes)".into());
    }
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| format!("cannot read the file: {}", js::error_text(&e)))?;
    let bytes = Uint8Array::new(&buffer).to_vec();
    let jpeg = bytes.len() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8;
    if jpeg && !effnet::jpeg::is_complete(&bytes) {
        return Err("this JPEG is truncated (it ends before its image data does)".into());
    }
    if jpeg
        && let Some((w, h)) = effnet::image_file::dimensions(&bytes)
        && w.max(h) <= MAX_SIDE
        && (w as u64) * (h as u64) <= MAX_PIXELS
    {
        let image = effnet::image_file::decode_image(&bytes)?;
        let original = (image.width as u32, image.height as u32);
        return Ok(Decoded { image, original, downscaled: false });
    }
    drop(bytes);
    let window = js::window();
    let promise = window
        .create_image_bitmap_with_blob_and_image_bitmap_options(blob, &bitmap_options())
        .map_err(|e| js::error_text(&e))?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|e| {
            format!(
                "this is not an image the browser can decode (not a picture, or a corrupt one): {}",
                js::error_text(&e)
            )
        })?
        .unchecked_into();
    let (w, h) = (bitmap.width(), bitmap.height());
    if w == 0 || h == 0 {
        bitmap.close();
        return Err("the image has no pixels".into());
    }
    let scale =
        (MAX_SIDE as f64 / w.max(h) as f64).min((MAX_PIXELS as f64 / (w as f64 * h as f64)).sqrt());
    let (bitmap, downscaled) = if scale < 1.0 {
        let (nw, nh) = (
            ((w as f64 * scale).floor() as u32).max(1),
            ((h as f64 * scale).floor() as u32).max(1),
        );
        let options = bitmap_options();
        options.set_resize_width(nw);
        options.set_resize_height(nh);
        options.set_resize_quality(ResizeQuality::High);
        let promise = window
            .create_image_bitmap_with_image_bitmap_and_image_bitmap_options(&bitmap, &options)
            .map_err(|e| js::error_text(&e))?;
        let small = JsFuture::from(promise).await;
        bitmap.close();
        let small: ImageBitmap = small
            .map_err(|e| {
                format!(
                    "the image is {w}×{h}, too large to scale down here: {}",
                    js::error_text(&e)
                )
            })?
            .unchecked_into();
        (small, true)
    } else {
        (bitmap, false)
    };
    let pixels = read_pixels(&bitmap);
    bitmap.close();
    let (width, height, rgba) = pixels?;
    let image =
        RgbImage::from_rgba(width as usize, height as usize, &rgba).map_err(|e| e.to_string())?;
    Ok(Decoded {
        image,
        original: (w, h),
        downscaled,
    })
}

fn read_pixels(bitmap: &ImageBitmap) -> Result<(u32, u32, Vec<u8>), String> {
    let (w, h) = (bitmap.width(), bitmap.height());
    let (_canvas, ctx) = js::canvas_2d(w, h)?;
    ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)
        .map_err(|e| js::error_text(&e))?;
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .map_err(|e| format!("cannot read the pixels: {}", js::error_text(&e)))?;
    Ok((w, h, data.data().0))
}

/// Decodes `blob` and classifies it; every failure becomes a message on the page.
pub fn submit_blob(state: AppState, blob: Blob, name: String) {
    inference::bump_generation();
    state.error.set(None);
    state.status.set(format!("Decoding {name}…"));
    spawn_local(async move {
        let generation = inference::generation();
        let decoded = decode_blob(&blob).await;
        if generation != inference::generation() {
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
                inference::set_image(image.clone(), label.clone());
                inference::classify(state, image, label, InputKind::Image).await;
            }
        }
    });
}

/// Fetches a bundled sample and classifies it.
pub fn submit_sample(state: AppState, file: &'static str) {
    spawn_local(async move {
        let url = format!("static/samples/{file}");
        let fetched = async {
            let response: web_sys::Response = JsFuture::from(js::window().fetch_with_str(&url))
                .await
                .map_err(|e| js::error_text(&e))?
                .unchecked_into();
            if !response.ok() {
                return Err(format!("HTTP {}", response.status()));
            }
            let blob = JsFuture::from(response.blob().map_err(|e| js::error_text(&e))?)
                .await
                .map_err(|e| js::error_text(&e))?;
            Ok::<Blob, String>(blob.unchecked_into())
        };
        match fetched.await {
            Ok(blob) => submit_blob(state, blob, file.to_string()),
            Err(e) => state
                .error
                .set(Some(format!("cannot load the sample {url}: {e}"))),
        }
    });
}

/// The first file of a drop or paste, if any.
fn first_file(transfer: &web_sys::DataTransfer) -> Option<web_sys::File> {
    if let Some(file) = transfer.files().and_then(|f| f.get(0)) {
        return Some(file);
    }
    let items = transfer.items();
    (0..items.length())
        .filter_map(|i| items.get(i))
        .find(|it| it.kind() == "file")
        .and_then(|it| it.get_as_file().ok().flatten())
}

/// Drag-and-drop anywhere on the page and paste from the clipboard.
pub fn install_global_listeners(state: AppState, dragging: RwSignal<bool>) {
    let _ = window_event_listener(leptos::ev::dragover, move |ev| {
        ev.prevent_default();
        dragging.set(true);
    });
    let _ = window_event_listener(leptos::ev::dragleave, move |ev| {
        // Leaving the window (not moving between children) ends the hover.
        if ev.related_target().is_none() {
            dragging.set(false);
        }
    });
    let _ = window_event_listener(leptos::ev::drop, move |ev| {
        ev.prevent_default();
        dragging.set(false);
        match ev.data_transfer().as_ref().and_then(first_file) {
            Some(file) => {
                let name = file.name();
                submit_blob(state, file.into(), name);
            }
            None => state.error.set(Some(
                "nothing to classify was dropped (drop an image file)".into(),
            )),
        }
    });
    let _ = window_event_listener(leptos::ev::paste, move |ev| {
        let Some(transfer) = ev.clipboard_data() else {
            return;
        };
        if let Some(file) = first_file(&transfer) {
            ev.prevent_default();
            let name = if file.name().is_empty() {
                "pasted image".to_string()
            } else {
                format!("pasted {}", file.name())
            };
            submit_blob(state, file.into(), name);
        }
    });
}

/// File picker and sample gallery.
#[component]
pub fn ImageInput() -> impl IntoView {
    let state = expect_context::<AppState>();
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            let name = file.name();
            submit_blob(state, file.into(), name);
        }
        // Picking the same file again must fire `change` again.
        input.set_value("");
    };
    view! {
        <section class="panel inputs" aria-label="Image">
            <h2>"Image"</h2>
            <p class="hint">"Choose a file, drop one anywhere on the page, paste one (Ctrl+V), or try a sample."</p>
            <label class="file">
                "Choose an image… "
                <input type="file" accept="image/*" data-testid="file-input" on:change=on_change/>
            </label>
            <div class="gallery" data-testid="gallery">
                {SAMPLES
                    .into_iter()
                    .map(|(file, title)| {
                        view! {
                            <button
                                class="sample"
                                title=title
                                data-testid=format!("sample-{file}")
                                on:click=move |_| submit_sample(state, file)
                            >
                                <img src=format!("static/samples/{file}") alt=title loading="lazy"/>
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <p class="input-name" data-testid="input-name">
                {move || state.input.get().map(|n| format!("Input: {n}")).unwrap_or_default()}
            </p>
        </section>
    }
}
