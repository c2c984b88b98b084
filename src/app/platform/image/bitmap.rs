//! The browser's decoder: a file becomes an `ImageBitmap` at the size the admission plan says
//! (createImageBitmap takes every format but SVG, which an `<img>` draws).

use effnet::admission::{self, Plan, Refusal, Size};
use effnet::image_header::{Format, Header};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ColorSpaceConversion, ImageBitmap, ImageBitmapOptions, PremultiplyAlpha, ResizeQuality,
};

use crate::app::platform::js;

/// A decoded picture, not yet read: the bitmap, the picture's own size, and whether the bitmap
/// is a reduced copy.
pub struct Bitmap {
    pub bitmap: ImageBitmap,
    pub original: Size,
    pub downscaled: bool,
}

fn options(resize: Option<Size>) -> ImageBitmapOptions {
    let options = ImageBitmapOptions::new();
    // The pixels as stored in the file, as Pillow reads them.
    options.set_color_space_conversion(ColorSpaceConversion::None);
    options.set_premultiply_alpha(PremultiplyAlpha::None);
    if let Some(size) = resize {
        options.set_resize_width(size.width);
        options.set_resize_height(size.height);
        options.set_resize_quality(ResizeQuality::High);
    }
    options
}

fn undecodable(header: Option<Header>, detail: String) -> Refusal {
    Refusal::Undecodable {
        format: header.map(|h| h.format),
        detail,
    }
}

/// Decodes `blob` as `plan` says (`header`: what its first bytes said).
pub async fn decode(blob: &Blob, header: Option<Header>, plan: Plan) -> Result<Bitmap, Refusal> {
    match header {
        Some(Header {
            format: Format::Svg,
            ..
        }) => svg(blob).await,
        _ => browser(blob, header, plan).await,
    }
}

/// createImageBitmap (EXIF orientation applied, no colour conversion). A picture the header
/// says is large is decoded straight to the reduced size; one whose size the header does not
/// give is decoded, then scaled down if needed.
async fn browser(blob: &Blob, header: Option<Header>, plan: Plan) -> Result<Bitmap, Refusal> {
    let window = js::window();
    let promise = window
        .create_image_bitmap_with_blob_and_image_bitmap_options(blob, &options(plan.read_at))
        .map_err(|e| undecodable(header, js::error_text(&e)))?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|e| undecodable(header, js::error_text(&e)))?
        .unchecked_into();
    let size = Size::new(bitmap.width(), bitmap.height());
    if size.width == 0 || size.height == 0 {
        bitmap.close();
        return Err(Refusal::NoPixels { size });
    }
    if plan.read_at.is_some() {
        let original = header
            .and_then(|h| h.size)
            .map_or(size, |(w, h)| Size::new(w, h));
        return Ok(Bitmap {
            bitmap,
            original,
            downscaled: true,
        });
    }
    let Some(reduced) = admission::reduced_size(size) else {
        return Ok(Bitmap {
            bitmap,
            original: size,
            downscaled: false,
        });
    };
    let promise = window
        .create_image_bitmap_with_image_bitmap_and_image_bitmap_options(
            &bitmap,
            &options(Some(reduced)),
        )
        .map_err(|e| undecodable(header, js::error_text(&e)));
    let small = match promise {
        Ok(promise) => JsFuture::from(promise).await,
        Err(e) => {
            bitmap.close();
            return Err(e);
        }
    };
    bitmap.close();
    let small: ImageBitmap = small
        .map_err(|e| Refusal::NoReducedCopy {
            size,
            detail: js::error_text(&e),
        })?
        .unchecked_into();
    Ok(Bitmap {
        bitmap: small,
        original: size,
        downscaled: true,
    })
}

/// An SVG drawn by the browser: createImageBitmap does not take SVG files, an `<img>` does
/// (scripts in it never run). Drawn at its own size, or 1024 px on the long side when it has
/// none or is larger.
async fn svg(blob: &Blob) -> Result<Bitmap, Refusal> {
    let fail = |detail: String| Refusal::Undecodable {
        format: Some(Format::Svg),
        detail,
    };
    let thrown = |e: wasm_bindgen::JsValue| fail(js::error_text(&e));
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(thrown)?;
    let result = async {
        let img = js::document().create_element("img").map_err(thrown)?;
        js::set(&img, "src", &url.as_str().into());
        let decode = js::call_method(&img, "decode", &[]).map_err(|e| fail(e.to_string()))?;
        JsFuture::from(decode).await.map_err(thrown)?;
        let natural = |key: &str| js::get(&img, key).as_f64().unwrap_or(0.0) as u32;
        let (w, h) = match (natural("naturalWidth"), natural("naturalHeight")) {
            (0, _) | (_, 0) => (1024, 1024),
            (w, h) => (w, h),
        };
        let scale = (1024.0 / w.max(h) as f64).min(1.0);
        let size = Size::new(
            ((w as f64 * scale) as u32).max(1),
            ((h as f64 * scale) as u32).max(1),
        );
        let options = js_sys::Object::new();
        js::set(&options, "resizeWidth", &size.width.into());
        js::set(&options, "resizeHeight", &size.height.into());
        let promise = js::call_method(
            &js::window().into(),
            "createImageBitmap",
            &[img.into(), options.into()],
        )
        .map_err(|e| fail(e.to_string()))?;
        let bitmap: ImageBitmap = JsFuture::from(promise)
            .await
            .map_err(thrown)?
            .unchecked_into();
        Ok(Bitmap {
            bitmap,
            original: size,
            downscaled: false,
        })
    }
    .await;
    let _ = web_sys::Url::revoke_object_url(&url);
    result
}
