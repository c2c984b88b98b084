//! Recognising truncated JPEG files (shared by the CLI and the page, which decode differently).

/// Whether a JPEG's last scan is followed by its end-of-image marker. Decoders fill in a
/// truncated JPEG with grey; Pillow refuses it, and so do we. Entropy-coded data cannot hold
/// `FF D9` (an `FF` there is always stuffed as `FF 00`), so an EOI after the last start-of-scan
/// (`FF DA`) means the image data is complete.
pub fn is_complete(bytes: &[u8]) -> bool {
    let marker = |m: u8| bytes.windows(2).rposition(|w| w[0] == 0xFF && w[1] == m);
    match (marker(0xDA), marker(0xD9)) {
        (Some(sos), Some(eoi)) => eoi > sos,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_complete;

    #[test]
    fn jpeg_completeness() {
        assert!(is_complete(&[
            0xFF, 0xD8, 0xFF, 0xDA, 1, 0xFF, 0x00, 2, 0xFF, 0xD9
        ]));
        assert!(is_complete(&[
            0xFF, 0xD8, 0xFF, 0xDA, 1, 0xFF, 0xD9, 0, 0, 0
        ]));
        assert!(!is_complete(&[0xFF, 0xD8, 0xFF, 0xD9, 0xFF, 0xDA, 1, 2, 3]));
        assert!(!is_complete(&[0xFF, 0xD8, 0xFF, 0xDA, 1, 2]));
    }
}
