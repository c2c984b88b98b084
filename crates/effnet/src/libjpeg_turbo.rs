//! JPEG decoding by libjpeg-turbo, the library Pillow decodes with (hence every PyTorch
//! pipeline): the system's libturbojpeg, found with pkg-config (Debian: `libturbojpeg0-dev`),
//! through its TurboJPEG API. Native only (feature `libjpeg-turbo`, part of `native`).
//!
//! Pillow's settings: libjpeg's defaults (accurate integer IDCT, fancy upsampling; TurboJPEG
//! flags 0), greyscale replicated into R, G and B by libjpeg, and CMYK/YCCK files read as
//! Adobe-inverted CMYK and converted to RGB with Pillow's formula. Corrupt-data warnings
//! (libjpeg's "extraneous bytes before marker", data ending early inside the image) are not
//! errors, as in Pillow: the decoded picture is kept. tools/make_jpeg_samples.py and
//! tests/jpeg_pillow.rs check every kind byte for byte against Pillow.

use std::ffi::CStr;
use std::os::raw::{c_int, c_ulong};

use turbojpeg_sys as tj;

/// A TurboJPEG decompressor, destroyed when dropped.
struct Decompressor(tj::tjhandle);

impl Decompressor {
    /// TurboJPEG's message for the last failure.
    fn message(&self) -> String {
        // SAFETY: the handle is live; the message is a NUL-terminated string it owns.
        unsafe { CStr::from_ptr(tj::tjGetErrorStr2(self.0)) }
            .to_string_lossy()
            .into_owned()
    }

    /// Whether the last failure was only a warning.
    fn warned(&self) -> bool {
        // SAFETY: the handle is live.
        unsafe { tj::tjGetErrorCode(self.0) == tj::TJERR_TJERR_WARNING as c_int }
    }
}

impl Drop for Decompressor {
    fn drop(&mut self) {
        // SAFETY: the handle came from tjInitDecompress and is destroyed once.
        unsafe { tj::tjDestroy(self.0) };
    }
}

/// Decodes a JPEG into 8-bit RGB, row-major: (width, height, pixels), orientation not applied.
/// `max_bytes` bounds the decoded buffer, checked against the size libjpeg reads from the
/// header before anything is decoded.
pub fn decode(bytes: &[u8], max_bytes: u64) -> Result<(usize, usize, Vec<u8>), String> {
    // SAFETY: plain constructor; null means failure.
    let handle = unsafe { tj::tjInitDecompress() };
    if handle.is_null() {
        return Err("libjpeg-turbo could not start a decompressor".into());
    }
    let decompressor = Decompressor(handle);
    let (mut width, mut height, mut subsampling, mut colorspace): (c_int, c_int, c_int, c_int) =
        (0, 0, -1, -1);
    // SAFETY: `bytes` is valid for its length; the four outputs are valid for writes.
    unsafe {
        tj::tjDecompressHeader3(
            decompressor.0,
            bytes.as_ptr(),
            bytes.len() as c_ulong,
            &mut width,
            &mut height,
            &mut subsampling,
            &mut colorspace,
        )
    };
    // libjpeg read the header when the size is set, even where TurboJPEG 2.x then fails because
    // it has no name for the chroma subsampling (tjDecompress2 decodes those) or reports a
    // warning. The size is libjpeg's own, so the limit below bounds what libjpeg allocates.
    if width < 1 || height < 1 {
        return Err(decompressor.message());
    }
    let (width, height) = (width as usize, height as usize);
    // CMYK (and YCCK, which libjpeg turns into CMYK) is converted here; everything else by
    // libjpeg.
    let cmyk =
        colorspace == tj::TJCS_TJCS_CMYK as c_int || colorspace == tj::TJCS_TJCS_YCCK as c_int;
    let (format, channels) = if cmyk {
        (tj::TJPF_TJPF_CMYK, 4)
    } else {
        (tj::TJPF_TJPF_RGB, 3)
    };
    let len = width as u64 * height as u64 * channels as u64;
    if len > max_bytes {
        return Err(format!(
            "{width}×{height} pixels need {} MiB decoded, more than the {} MiB allowed",
            len >> 20,
            max_bytes >> 20
        ));
    }
    let mut pixels = vec![0u8; len as usize];
    // SAFETY: `bytes` is valid for its length; `pixels` holds `height` rows of `pitch` bytes,
    // the image's own size as libjpeg read it (TurboJPEG writes at most that). Width and
    // height came from c_int, and so does the pitch (at most 4 × 65500).
    let status = unsafe {
        tj::tjDecompress2(
            decompressor.0,
            bytes.as_ptr(),
            bytes.len() as c_ulong,
            pixels.as_mut_ptr(),
            width as c_int,
            (width * channels) as c_int,
            height as c_int,
            format,
            0,
        )
    };
    // A warning (corrupt data libjpeg decoded past) keeps the picture, as Pillow does.
    if status != 0 && !decompressor.warned() {
        return Err(decompressor.message());
    }
    if cmyk {
        pixels = cmyk_to_rgb(&pixels);
    }
    Ok((width, height, pixels))
}

/// Pillow's CMYK → RGB for a CMYK JPEG. Pillow reads every CMYK JPEG as Adobe-inverted (a
/// stored value v is 255 − v of ink), with or without the Adobe marker, then converts
/// R = (255 − K) − round(C · (255 − K) / 255) on the inverted values.
/// In the stored values c and k that is round(c · k / 255) (never a tie: 255 is odd).
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let scale = |c: u8, k: u8| ((2 * c as u32 * k as u32 + 255) / 510) as u8;
    cmyk.chunks_exact(4)
        .flat_map(|p| [scale(p[0], p[3]), scale(p[1], p[3]), scale(p[2], p[3])])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::cmyk_to_rgb;

    /// Against Pillow's formula written out on the inverted values, for every c and k.
    #[test]
    fn cmyk_conversion_is_pillows() {
        for k in 0..=255u8 {
            for c in 0..=255u8 {
                let (ci, nk) = (255 - c as i32, k as i32);
                let t = ci * nk + 128;
                let pillow = nk - (((t >> 8) + t) >> 8);
                assert_eq!(cmyk_to_rgb(&[c, 0, 0, k])[0] as i32, pillow, "c {c} k {k}");
            }
        }
    }
}
