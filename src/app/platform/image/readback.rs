//! Reading a decoded picture's pixels: through WebGL2 (no premultiplication, so the colour
//! under transparent pixels survives, as in Pillow's `convert("RGB")`), or, where WebGL2 is
//! missing, through a 2D canvas (exact for opaque pictures; colour under alpha 0 comes out
//! black).

use std::cell::RefCell;

use effnet::admission::Size;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ImageBitmap, WebGl2RenderingContext};

use crate::app::platform::js;
use crate::app::state::error::AppError;

/// A picture's RGBA bytes, row by row.
pub struct Rgba {
    pub size: Size,
    pub rgba: Vec<u8>,
}

/// The page's readback: one WebGL2 context for every picture (browsers keep only a few alive
/// at a time), made on first use.
#[derive(Default)]
pub struct Readback {
    gl: RefCell<Option<WebGl2RenderingContext>>,
}

impl Readback {
    /// Makes the WebGL2 context and reads one pixel through it, so that the first photo does
    /// not pay for starting WebGL (~60–70 ms of the page's thread in Chromium here). Called
    /// once the page has started.
    pub async fn prepare(&self) {
        let Ok(data) = web_sys::ImageData::new_with_sw(1, 1) else {
            return;
        };
        let Ok(promise) = js::window().create_image_bitmap_with_image_data(&data) else {
            return;
        };
        if let Ok(bitmap) = JsFuture::from(promise).await
            && let Ok(bitmap) = bitmap.dyn_into::<ImageBitmap>()
        {
            let _ = self.read_webgl(&bitmap);
            bitmap.close();
        }
    }

    /// The bitmap's RGBA as stored (WebGL2, else a 2D canvas).
    pub fn read(&self, bitmap: &ImageBitmap) -> Result<Rgba, AppError> {
        match self.read_webgl(bitmap) {
            Ok(Some(pixels)) => Ok(pixels),
            Ok(None) => read_2d(bitmap),
            Err(e) => {
                js::log(&format!(
                    "effnet: WebGL readback failed ({e}); reading through a 2D canvas"
                ));
                read_2d(bitmap)
            }
        }
    }

    /// A live WebGL2 context (`None` where the browser has no WebGL2).
    fn webgl(&self) -> Option<WebGl2RenderingContext> {
        let mut cell = self.gl.borrow_mut();
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
    }

    fn read_webgl(&self, bitmap: &ImageBitmap) -> Result<Option<Rgba>, AppError> {
        const GL2: u32 = WebGl2RenderingContext::TEXTURE_2D;
        let Some(gl) = self.webgl() else {
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
        let texture = gl
            .create_texture()
            .ok_or_else(|| AppError::browser("no texture"))?;
        let framebuffer = gl
            .create_framebuffer()
            .ok_or_else(|| AppError::browser("no framebuffer"))?;
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
            .map_err(|e| js::browser_error(&e))?;
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
                return Err(AppError::browser("the framebuffer is incomplete"));
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
            .map_err(|e| js::browser_error(&e))?;
            match gl.get_error() {
                WebGl2RenderingContext::NO_ERROR => Ok(Rgba {
                    size: Size::new(w, h),
                    rgba: out,
                }),
                code => Err(AppError::browser(format!("WebGL error {code:#x}"))),
            }
        })();
        gl.bind_framebuffer(WebGl2RenderingContext::FRAMEBUFFER, None);
        gl.bind_texture(GL2, None);
        gl.delete_framebuffer(Some(&framebuffer));
        gl.delete_texture(Some(&texture));
        result.map(Some)
    }
}

fn read_2d(bitmap: &ImageBitmap) -> Result<Rgba, AppError> {
    let (w, h) = (bitmap.width(), bitmap.height());
    let (_canvas, ctx) = js::canvas_2d(w, h)?;
    ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)
        .map_err(|e| js::browser_error(&e))?;
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .map_err(|e| {
            AppError::browser(format!("cannot read the pixels: {}", js::error_text(&e)))
        })?;
    Ok(Rgba {
        size: Size::new(w, h),
        rgba: data.data().0,
    })
}
