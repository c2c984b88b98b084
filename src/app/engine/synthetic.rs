//! Images made up on the spot, so no file is needed: the bench's and the explorer's input.

use effnet::preprocess::RgbImage;

/// A deterministic RGB gradient (`size` × `size`), so no image file is needed.
pub fn gradient(size: usize) -> RgbImage {
    gradient_wh(size, size)
}

/// The gradient at `width × height`.
pub fn gradient_wh(width: usize, height: usize) -> RgbImage {
    let mut data = Vec::with_capacity(width * height * 3);
    let (dx, dy) = ((width.max(2) - 1) as f64, (height.max(2) - 1) as f64);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (x as f64 / dx, y as f64 / dy);
            data.push((255.0 * fx) as u8);
            data.push((255.0 * fy) as u8);
            data.push((255.0 * (1.0 - (fx + fy) / 2.0)) as u8);
        }
    }
    RgbImage::new(width, height, data).expect("a non-empty gradient")
}

/// `image` flipped left to right (the soak's second frame).
pub fn mirrored(image: &RgbImage) -> RgbImage {
    let (w, h) = (image.width, image.height);
    let mut data = Vec::with_capacity(image.data.len());
    for y in 0..h {
        for x in (0..w).rev() {
            let i = (y * w + x) * 3;
            data.extend_from_slice(&image.data[i..i + 3]);
        }
    }
    RgbImage::new(w, h, data).expect("same size as a valid image")
}
