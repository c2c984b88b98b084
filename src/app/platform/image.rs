//! Still images from the browser: decoded by the browser (createImageBitmap, EXIF orientation
//! applied, no colour conversion, no premultiplication) and read back through WebGL2, which
//! keeps the colour stored under transparent pixels as Pillow's `convert("RGB")` does. Chromium decodes JPEGs with
//! libjpeg-turbo, as Pillow and the CLI do, so the page sees the pixels `effnet classify` sees.
//! Sizes are checked from the file's header before anything is decoded.

use effnet::image_header::{self, Format, Header};
use effnet::preprocess::RgbImage;
use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, ColorSpaceConversion, ImageBitmap, ImageBitmapOptions, PremultiplyAlpha, ResizeQuality,
    WebGl2RenderingContext,
};

use super::js;

/// Images with a side or a pixel count beyond these are scaled down by the browser before
/// their pixels are read (an 8000×8000 photo would need 256 MB as RGBA). Ordinary photos
/// (12 MP, 4032×3024) are below both and read exactly as decoded.
pub const MAX_SIDE: u32 = 4096;
pub const MAX_PIXELS: u64 = 4096 * 4096;

/// A decoded picture and what was done to it.
pub struct Decoded {
    pub image: RgbImage,
    pub original: (u32, u32),
    pub downscaled: bool,
}

fn bitmap_options(resize: Option<(u32, u32)>) -> ImageBitmapOptions {
    let options = ImageBitmapOptions::new();
    // The pixels as stored in the file, as Pillow reads them.
    options.set_color_space_conversion(ColorSpaceConversion::None);
    options.set_premultiply_alpha(PremultiplyAlpha::None);
    if let Some((w, h)) = resize {
        options.set_resize_width(w);
        options.set_resize_height(h);
        options.set_resize_quality(ResizeQuality::High);
    }
    options
}

/// Files above this size are refused before a byte of them is read (a photo is rarely above
/// 30 MB; a larger file would be copied into the page's memory before it could be judged).
pub const MAX_FILE_BYTES: f64 = 100e6;
/// Pictures whose header claims more pixels than this are refused before decoding: decoded, a
/// 23000×23000 PNG of 500 KB needs 2 GB. 8000×8000 (64 MP) is still read (scaled down).
pub const MAX_DECODE_PIXELS: u64 = 64_000_000;
/// How much of a file is read to find its format and size.
const HEAD_BYTES: f64 = 256.0 * 1024.0;

async fn read_bytes(blob: &Blob) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| format!("cannot read the file: {}", js::error_text(&e)))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// The message for a picture the browser could not decode, naming the formats it cannot read.
fn undecodable(header: Option<Header>, why: &str) -> String {
    match header.map(|h| h.format) {
        Some(Format::Heic) => "HEIC photos (the iPhone's format) can't be decoded by this browser: export or share the photo as JPEG (on an iPhone: Settings › Camera › Formats › Most Compatible)".into(),
        Some(Format::Tiff) => "TIFF images can't be decoded by this browser: save the picture as JPEG or PNG".into(),
        Some(Format::Svg) => format!("this SVG could not be drawn by the browser: {why}"),
        Some(f) => format!("this {} file can't be decoded (a corrupt or unusual file?): {why}", f.name()),
        None => format!("this is not an image the browser can decode (not a picture, or a corrupt one): {why}"),
    }
}

/// Decodes an image file (or pasted/dropped blob) into RGB. The file's size and the picture's
/// pixel count (from its header) are checked before anything is decoded or read whole.
pub async fn decode_blob(blob: &Blob) -> Result<Decoded, String> {
    let size = blob.size();
    if size == 0.0 {
        return Err("the file is empty (0 bytes)".into());
    }
    if size > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {}; the limit is {} (an image that large is not needed: the networks see at most 600×600 pixels)",
            megabytes(size),
            megabytes(MAX_FILE_BYTES)
        ));
    }
    let head_blob = blob
        .slice_with_f64_and_f64(0.0, HEAD_BYTES.min(size))
        .map_err(|e| js::error_text(&e))?;
    let head = read_bytes(&head_blob).await?;
    let header = image_header::read(&head);
    if let Some(Header {
        size: Some((w, h)), ..
    }) = header
    {
        let pixels = w as u64 * h as u64;
        if w == 0 || h == 0 {
            return Err(format!("the image is {w}×{h}: it has no pixels"));
        }
        if pixels > MAX_DECODE_PIXELS {
            return Err(format!(
                "{w}×{h} is {:.0} MP; the limit is {} MP (scale the picture down first)",
                pixels as f64 / 1e6,
                MAX_DECODE_PIXELS / 1_000_000
            ));
        }
    }
    if let Some(Header {
        format: Format::Jpeg,
        size: Some((w, h)),
    }) = header
        && w.max(h) <= MAX_SIDE
        && (w as u64) * (h as u64) <= MAX_PIXELS
    {
        let complete = if head.len() as f64 == size {
            effnet::jpeg::is_complete(&head)
        } else {
            effnet::jpeg::is_complete(&read_bytes(blob).await?)
        };
        if !complete {
            return Err("this JPEG is truncated (it ends before its image data does)".into());
        }
        // Decoded by the browser like every other format: Chromium's decoder is libjpeg-turbo,
        // whose pixels are Pillow's (measured on 17 kinds of JPEG by tools/browser_decode_check.mjs;
        // CMYK JPEGs differ by at most 1 level). The CLI decodes with libjpeg-turbo too.
    }
    drop(head);
    let (bitmap, original, downscaled) = match header {
        Some(Header {
            format: Format::Svg,
            ..
        }) => {
            let (bitmap, size) = svg_bitmap(blob)
                .await
                .map_err(|e| undecodable(header, &e))?;
            (bitmap, size, false)
        }
        _ => browser_bitmap(blob, header).await?,
    };
    let pixels = read_pixels(&bitmap);
    bitmap.close();
    let (width, height, rgba) = pixels?;
    let image =
        RgbImage::from_rgba(width as usize, height as usize, &rgba).map_err(|e| e.to_string())?;
    Ok(Decoded {
        image,
        original,
        downscaled,
    })
}

fn megabytes(bytes: f64) -> String {
    if bytes >= 1e9 {
        format!("{:.2} GB", bytes / 1e9)
    } else {
        format!("{:.0} MB", bytes / 1e6)
    }
}

/// The size to read a `w`×`h` picture at (scaled down beyond [`MAX_SIDE`] / [`MAX_PIXELS`]).
fn target_size(w: u32, h: u32) -> Option<(u32, u32)> {
    let scale =
        (MAX_SIDE as f64 / w.max(h) as f64).min((MAX_PIXELS as f64 / (w as f64 * h as f64)).sqrt());
    (scale < 1.0).then(|| {
        (
            ((w as f64 * scale).floor() as u32).max(1),
            ((h as f64 * scale).floor() as u32).max(1),
        )
    })
}

/// The browser's decoder (createImageBitmap: EXIF orientation applied, no colour conversion).
/// A picture the header says is large is decoded straight to the reduced size; one whose size
/// the header does not give is decoded, then scaled down if needed.
async fn browser_bitmap(
    blob: &Blob,
    header: Option<Header>,
) -> Result<(ImageBitmap, (u32, u32), bool), String> {
    let window = js::window();
    let planned = header
        .and_then(|h| h.size)
        .and_then(|(w, h)| target_size(w, h));
    let options = bitmap_options(planned);
    let promise = window
        .create_image_bitmap_with_blob_and_image_bitmap_options(blob, &options)
        .map_err(|e| js::error_text(&e))?;
    let bitmap: ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|e| undecodable(header, &js::error_text(&e)))?
        .unchecked_into();
    let (w, h) = (bitmap.width(), bitmap.height());
    if w == 0 || h == 0 {
        bitmap.close();
        return Err("the image has no pixels".into());
    }
    if planned.is_some() {
        let original = header.and_then(|h| h.size).unwrap_or((w, h));
        return Ok((bitmap, original, true));
    }
    let Some(reduced) = target_size(w, h) else {
        return Ok((bitmap, (w, h), false));
    };
    let options = bitmap_options(Some(reduced));
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
    Ok((small, (w, h), true))
}

/// An SVG drawn by the browser: createImageBitmap does not take SVG files, an `<img>` does
/// (scripts in it never run). Drawn at its own size, or 1024 px on the long side when it has
/// none or is larger.
async fn svg_bitmap(blob: &Blob) -> Result<(ImageBitmap, (u32, u32)), String> {
    let url = web_sys::Url::create_object_url_with_blob(blob).map_err(|e| js::error_text(&e))?;
    let result = async {
        let img = js::document()
            .create_element("img")
            .map_err(|e| js::error_text(&e))?;
        js::set(&img, "src", &url.as_str().into());
        let decode = js::call_method(&img, "decode", &[])?;
        JsFuture::from(decode)
            .await
            .map_err(|e| js::error_text(&e))?;
        let natural = |key: &str| js::get(&img, key).as_f64().unwrap_or(0.0) as u32;
        let (w, h) = match (natural("naturalWidth"), natural("naturalHeight")) {
            (0, _) | (_, 0) => (1024, 1024),
            (w, h) => (w, h),
        };
        let scale = (1024.0 / w.max(h) as f64).min(1.0);
        let (w, h) = (
            ((w as f64 * scale) as u32).max(1),
            ((h as f64 * scale) as u32).max(1),
        );
        let options = js_sys::Object::new();
        js::set(&options, "resizeWidth", &w.into());
        js::set(&options, "resizeHeight", &h.into());
        let promise = js::call_method(
            &js::window().into(),
            "createImageBitmap",
            &[img.into(), options.into()],
        )?;
        let bitmap: ImageBitmap = JsFuture::from(promise)
            .await
            .map_err(|e| js::error_text(&e))?
            .unchecked_into();
        Ok::<_, String>((bitmap, (w, h)))
    }
    .await;
    let _ = web_sys::Url::revoke_object_url(&url);
    result
}

/// Makes the readback's WebGL2 context and reads one pixel through it, so that the first photo
/// does not pay for starting WebGL (~60–70 ms of the page's thread in Chromium here). Called
/// once the page has started.
pub async fn prepare_readback() {
    let Ok(data) = web_sys::ImageData::new_with_sw(1, 1) else {
        return;
    };
    let Ok(promise) = js::window().create_image_bitmap_with_image_data(&data) else {
        return;
    };
    if let Ok(bitmap) = JsFuture::from(promise).await
        && let Ok(bitmap) = bitmap.dyn_into::<ImageBitmap>()
    {
        let _ = read_pixels_webgl(&bitmap);
        bitmap.close();
    }
}

/// The bitmap's RGBA as stored: through WebGL2 (no premultiplication, so colour under
/// transparent pixels survives, as in Pillow's `convert("RGB")`), or, where WebGL2 is missing,
/// through a 2D canvas (exact for opaque pictures; colour under alpha 0 comes out black).
fn read_pixels(bitmap: &ImageBitmap) -> Result<(u32, u32, Vec<u8>), String> {
    match read_pixels_webgl(bitmap) {
        Ok(Some(pixels)) => Ok(pixels),
        Ok(None) => read_pixels_2d(bitmap),
        Err(e) => {
            js::log(&format!(
                "effnet: WebGL readback failed ({e}); reading through a 2D canvas"
            ));
            read_pixels_2d(bitmap)
        }
    }
}

fn read_pixels_2d(bitmap: &ImageBitmap) -> Result<(u32, u32, Vec<u8>), String> {
    let (w, h) = (bitmap.width(), bitmap.height());
    let (_canvas, ctx) = js::canvas_2d(w, h)?;
    ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)
        .map_err(|e| js::error_text(&e))?;
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .map_err(|e| format!("cannot read the pixels: {}", js::error_text(&e)))?;
    Ok((w, h, data.data().0))
}

thread_local! {
    /// One WebGL2 context for every readback (browsers keep only a few alive at a time).
    static GL: std::cell::RefCell<Option<WebGl2RenderingContext>> = const { std::cell::RefCell::new(None) };
}

/// A live WebGL2 context, made on first use (`None` where the browser has no WebGL2).
fn webgl() -> Option<WebGl2RenderingContext> {
    GL.with(|cell| {
        let mut cell = cell.borrow_mut();
        if let Some(gl) = cell.as_ref()
            && !gl.is_context_lost()
        {
            return Some(gl.clone());
        }
        let canvas: web_sys::HtmlCanvasElement = js::document()
            .create_element("canvas")
            .ok()?
            .unchecked_into();
        let gl: WebGl2RenderingContext = canvas.get_context("webgl2").ok()??.unchecked_into();
        *cell = Some(gl.clone());
        Some(gl)
    })
}

fn read_pixels_webgl(bitmap: &ImageBitmap) -> Result<Option<(u32, u32, Vec<u8>)>, String> {
    const GL2: u32 = WebGl2RenderingContext::TEXTURE_2D;
    let Some(gl) = webgl() else {
        return Ok(None);
    };
    let (w, h) = (bitmap.width(), bitmap.height());
    let max = gl
        .get_parameter(WebGl2RenderingContext::MAX_TEXTURE_SIZE)
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    if (w.max(h) as f64) > max {
        return Ok(None);
    }
    let texture = gl.create_texture().ok_or("no texture")?;
    let framebuffer = gl.create_framebuffer().ok_or("no framebuffer")?;
    let result = (|| {
        gl.bind_texture(GL2, Some(&texture));
        gl.pixel_storei(WebGl2RenderingContext::UNPACK_PREMULTIPLY_ALPHA_WEBGL, 0);
        gl.pixel_storei(
            WebGl2RenderingContext::UNPACK_COLORSPACE_CONVERSION_WEBGL,
            WebGl2RenderingContext::NONE as i32,
        );
        gl.pixel_storei(WebGl2RenderingContext::UNPACK_FLIP_Y_WEBGL, 0);
        gl.tex_image_2d_with_u32_and_u32_and_image_bitmap(
            GL2,
            0,
            WebGl2RenderingContext::RGBA8 as i32,
            WebGl2RenderingContext::RGBA,
            WebGl2RenderingContext::UNSIGNED_BYTE,
            bitmap,
        )
        .map_err(|e| js::error_text(&e))?;
        gl.bind_framebuffer(WebGl2RenderingContext::FRAMEBUFFER, Some(&framebuffer));
        gl.framebuffer_texture_2d(
            WebGl2RenderingContext::FRAMEBUFFER,
            WebGl2RenderingContext::COLOR_ATTACHMENT0,
            GL2,
            Some(&texture),
            0,
        );
        if gl.check_framebuffer_status(WebGl2RenderingContext::FRAMEBUFFER)
            != WebGl2RenderingContext::FRAMEBUFFER_COMPLETE
        {
            return Err("the framebuffer is incomplete".to_string());
        }
        gl.pixel_storei(WebGl2RenderingContext::PACK_ALIGNMENT, 1);
        let mut out = vec![0u8; w as usize * h as usize * 4];
        gl.read_pixels_with_opt_u8_array(
            0,
            0,
            w as i32,
            h as i32,
            WebGl2RenderingContext::RGBA,
            WebGl2RenderingContext::UNSIGNED_BYTE,
            Some(&mut out),
        )
        .map_err(|e| js::error_text(&e))?;
        match gl.get_error() {
            WebGl2RenderingContext::NO_ERROR => Ok((w, h, out)),
            code => Err(format!("WebGL error {code:#x}")),
        }
    })();
    gl.bind_framebuffer(WebGl2RenderingContext::FRAMEBUFFER, None);
    gl.bind_texture(GL2, None);
    gl.delete_framebuffer(Some(&framebuffer));
    gl.delete_texture(Some(&texture));
    result.map(Some)
}

/// Fetches a file of the site (a bundled sample) as a blob.
pub async fn fetch_blob(url: &str) -> Result<Blob, String> {
    let response: web_sys::Response = JsFuture::from(js::window().fetch_with_str(url))
        .await
        .map_err(|e| js::error_text(&e))?
        .unchecked_into();
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let blob = JsFuture::from(response.blob().map_err(|e| js::error_text(&e))?)
        .await
        .map_err(|e| js::error_text(&e))?;
    Ok(blob.unchecked_into())
}

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
