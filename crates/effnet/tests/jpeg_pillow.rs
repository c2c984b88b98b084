#![cfg(all(feature = "libjpeg-turbo", not(target_arch = "wasm32")))]
//! The CLI's decoder (`image_file::read_image`) gives exactly the RGB Pillow gives
//! (`Image.open(f).convert("RGB")`, what PyTorch's pipelines read) for every kind of JPEG
//! tools/make_jpeg_samples.py writes (baseline 4:2:0/4:2:2/4:4:4/4:4:0/4:1:1, progressive,
//! greyscale, CMYK with and without the Adobe marker, restart markers, arithmetic coding, RGB
//! without colour transform, EXIF orientation, corrupt data libjpeg decodes past with a warning,
//! the repo's rocket.jpg) and for PNGs with colour under transparent pixels.
//!
//! The fixtures come from scripts/test.sh's "python references" step
//! (`tools/make_jpeg_samples.py target/fixtures/jpeg-kinds`); where that folder is absent the
//! test says so and passes without checking anything.

mod common;

use common::fixtures_dir;
use serde_json::Value;

/// The kinds the check must cover (the script writes more).
const REQUIRED: [&str; 8] = [
    "baseline_420",
    "baseline_422",
    "baseline_444",
    "progressive_420",
    "greyscale",
    "cmyk_adobe",
    "restart_420",
    "rgba",
];

#[test]
fn every_kind_decodes_to_pillows_rgb() {
    let dir = fixtures_dir().join("jpeg-kinds");
    if !dir.is_dir() {
        eprintln!(
            "jpeg_pillow: SKIPPED, {} is absent: scripts/test.sh makes it \
             (tools/make_jpeg_samples.py, Debian's python3-pil and libjpeg-turbo-progs)",
            dir.display()
        );
        return;
    }
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(dir.join("manifest.json")).expect("jpeg-kinds/manifest.json"),
    )
    .expect("manifest.json is JSON");
    let entries = manifest.as_array().expect("a list of kinds");
    for kind in REQUIRED {
        assert!(
            entries.iter().any(|e| e["kind"] == kind),
            "{kind} is missing from {}",
            dir.display()
        );
    }
    let mut failures = Vec::new();
    for e in entries {
        let field = |k: &str| e[k].as_str().unwrap_or_else(|| panic!("{k} in {e}"));
        let kind = field("kind");
        let size = |k: &str| e[k].as_u64().unwrap_or_else(|| panic!("{k} in {e}")) as usize;
        let (width, height) = (size("width"), size("height"));
        let pillow = std::fs::read(dir.join(field("reference"))).expect("Pillow's RGB");
        let ours = match effnet::image_file::read_image(&dir.join(field("file"))) {
            Ok(image) => image,
            Err(message) => {
                failures.push(format!("{kind}: {message}"));
                continue;
            }
        };
        if (ours.width, ours.height) != (width, height) {
            failures.push(format!(
                "{kind}: {}×{}, Pillow {width}×{height}",
                ours.width, ours.height
            ));
            continue;
        }
        let deltas: Vec<u8> = ours
            .data
            .iter()
            .zip(&pillow)
            .map(|(a, b)| a.abs_diff(*b))
            .filter(|d| *d > 0)
            .collect();
        if !deltas.is_empty() {
            failures.push(format!(
                "{kind}: {} of {} values differ from Pillow's, by up to {}",
                deltas.len(),
                pillow.len(),
                deltas.iter().max().unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "jpeg_pillow: {} files identical to Pillow's RGB",
        entries.len()
    );
}
