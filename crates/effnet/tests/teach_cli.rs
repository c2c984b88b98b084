//! `effnet teach`, `classify --head` and `evaluate` end to end, with Lite0's real weights
//! (static/weights/lite0.safetensors, converted by scripts/setup.sh) on folders made by
//! scripts/test.sh with tools/make_digits_folders.py from scikit-learn's handwritten digits:
//! `digits` (5 classes of 30 images, and a truncated PNG and a text file in the first class),
//! `digits-empty` (an empty class) and `digits-one` (a single class). `evaluate` runs on a
//! folder this test makes from the repo's sample photos, scored against PyTorch's top-5 for
//! them (tools/lite_reference.py).

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use burn::tensor::{Device, Tensor, TensorData};
use common::*;
use effnet::image_file::read_image;
use effnet::teach::{Backbone, Head, Split};
use effnet::weights::{manifest::sha256_hex, web};
use serde_json::Value;

fn weights(variant: &str) -> PathBuf {
    generated(repo_root().join(format!("static/weights/{variant}.safetensors")))
}

fn folder(name: &str) -> PathBuf {
    generated(fixtures_dir().join(name))
}

/// `effnet teach --json` with Lite0's weights on `dir`, writing the head to `out`.
fn teach_args(dir: &Path, out: &Path) -> Vec<String> {
    let weights = weights("lite0");
    let args = [
        "teach",
        "--variant",
        "lite0",
        "--weights",
        path_str(&weights),
    ];
    let rest = ["--out", path_str(out), "--json", path_str(dir)];
    args.iter().chain(&rest).map(|a| a.to_string()).collect()
}

/// What `effnet teach --json` printed for the digits, and the head it wrote (run once).
fn taught() -> &'static (Value, PathBuf, String) {
    static TAUGHT: OnceLock<(Value, PathBuf, String)> = OnceLock::new();
    TAUGHT.get_or_init(|| {
        let head = scratch("teach_cli").join("digits.head.safetensors");
        let start = std::time::Instant::now();
        let out = effnet(teach_args(&folder("digits"), &head));
        eprintln!(
            "effnet teach on the digits: {:.1} s",
            start.elapsed().as_secs_f64()
        );
        assert!(
            out.status.success(),
            "effnet teach failed: {}",
            stderr(&out)
        );
        let text = stdout(&out);
        assert_eq!(text.lines().count(), 1, "one JSON object: {text}");
        (serde_json::from_str(&text).unwrap(), head, stderr(&out))
    })
}

#[test]
fn teach_learns_the_digits_and_reports_consistently() {
    let (json, head_path, err) = taught();
    let classes: Vec<String> = (0..5).map(|d| format!("digit-{d}")).collect();
    assert_eq!(json["classes"], serde_json::json!(classes));

    // The two unreadable files are skipped, named on stderr and counted.
    assert_eq!(json["skipped"], 2);
    for bad in ["broken.png", "notes.txt"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("effnet: skipping") && l.contains(bad)),
            "stderr does not name {bad}:\n{err}"
        );
    }
    assert_eq!(json["images"], 150);

    // The split: 15 % of each class of 30, by the documented rule.
    let held = Split::validation_count(30, 0.15);
    let split = &json["split"];
    assert_eq!(usizes(&split["validation_per_class"]), vec![held; 5]);
    assert_eq!(usizes(&split["train_per_class"]), vec![30 - held; 5]);
    assert_eq!(split["validation"], 5 * held);

    // Confusion (rows = truth) against the per-class scores and the accuracy.
    let confusion: Vec<Vec<usize>> = json["confusion"]
        .as_array()
        .unwrap()
        .iter()
        .map(usizes)
        .collect();
    let total: usize = confusion.iter().flatten().sum();
    let correct: usize = (0..5).map(|c| confusion[c][c]).sum();
    assert_eq!(total, 5 * held);
    let accuracy = json["accuracy"].as_f64().unwrap();
    assert!((accuracy - correct as f64 / total as f64).abs() < 1e-12);
    for (c, row) in confusion.iter().enumerate() {
        assert_eq!(row.iter().sum::<usize>(), held);
        let recall = json["per_class"][c]["recall"].as_f64().unwrap();
        assert!((recall - row[c] as f64 / held as f64).abs() < 1e-12);
    }
    // A sane result: ImageNet features tell handwritten digits apart (chance is 0.2).
    eprintln!(
        "held-out accuracy {accuracy}, nearest class mean {}",
        json["ncm_accuracy"]
    );
    assert!(accuracy >= 0.8, "accuracy {accuracy}");
    assert!(json["ncm_accuracy"].as_f64().unwrap() >= 0.5);
    let losses: Vec<f64> = json["losses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_f64().unwrap())
        .collect();
    assert_eq!(losses.len(), 50);
    assert!(losses[49] < losses[0] / 4.0, "{losses:?}");

    // The head file: the classes, the backbone (these weights' sha256), the same scores.
    let head = Head::decode(&std::fs::read(head_path).unwrap()).unwrap();
    assert_eq!(head.classes, classes);
    let sha = sha256_hex(&std::fs::read(weights("lite0")).unwrap());
    assert_eq!(
        head.backbone,
        Backbone {
            variant: "lite0".into(),
            weights_sha256: sha.clone()
        }
    );
    assert_eq!(json["weights_sha256"], sha);
    assert_eq!(head.dim(), 1280);
    assert_eq!(head.report.unwrap().head.accuracy, Some(accuracy));
}

/// `effnet classify --json` lines.
fn classify(args: &[&str]) -> Vec<Value> {
    let out = effnet(args);
    assert!(out.status.success(), "effnet {args:?}: {}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn classify_with_the_head_gives_its_classes_and_probabilities() {
    let (json, head_path, _) = taught();
    let validation = json["validation"].as_array().unwrap();
    let images: Vec<String> = validation
        .iter()
        .map(|v| v["image"].as_str().unwrap().to_string())
        .collect();
    let weights = weights("lite0");
    let mut args = vec![
        "classify",
        "--variant",
        "lite0",
        "--weights",
        path_str(&weights),
        "--head",
        path_str(head_path),
        "--json",
    ];
    args.extend(images.iter().map(String::as_str));
    let lines = classify(&args);
    assert_eq!(lines.len(), images.len());

    // The head's labels, and the very predictions teach scored: the same accuracy.
    let classes: Vec<&str> = json["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let mut correct = 0;
    for (line, v) in lines.iter().zip(validation) {
        let top = line["top"].as_array().unwrap();
        assert_eq!(top.len(), 5, "top 5 of 5 classes");
        assert!(
            top.iter()
                .all(|t| classes.contains(&t["label"].as_str().unwrap()))
        );
        let predicted = v["predicted"].as_u64().unwrap();
        assert_eq!(top[0]["index"], predicted, "{}", v["image"]);
        assert_eq!(top[0]["label"], classes[predicted as usize]);
        correct += usize::from(v["class"] == v["predicted"]);
        let sum: f64 = top.iter().map(|t| t["prob"].as_f64().unwrap()).sum();
        assert!((sum - 1.0).abs() < 1e-9);
    }
    let accuracy = json["accuracy"].as_f64().unwrap();
    assert!((correct as f64 / images.len() as f64 - accuracy).abs() < 1e-12);

    // The probabilities are the head's tensors applied to the features, both computed here
    // with burn (not with `Head`'s own code), for 3 images.
    let head = Head::decode(&std::fs::read(head_path).unwrap()).unwrap();
    let device = Device::default();
    let bytes = std::fs::read(&weights).unwrap();
    let (_, model) = web::load(&bytes, Some("lite0"), &device).unwrap();
    let model = model.for_cpu();
    let (size, dim, k) = (head.preprocessing.size, head.dim(), head.num_classes());
    let row =
        |v: &[f32]| Tensor::<2>::from_data(TensorData::new(v.to_vec(), [1, v.len()]), &device);
    let weight = Tensor::<2>::from_data(TensorData::new(head.weight.clone(), [dim, k]), &device);
    let mut max = 0f64;
    for (line, image) in lines.iter().zip(&images).take(3) {
        let input = head
            .preprocessing
            .apply(&read_image(Path::new(image)).unwrap())
            .0;
        let x = Tensor::<4>::from_data(TensorData::new(input, [1, 3, size, size]), &device);
        let z = (model.pooled_features(x) - row(&head.normalization.mean))
            / row(&head.normalization.std);
        let probs =
            burn::tensor::activation::softmax(z.matmul(weight.clone()) + row(&head.bias), 1)
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
        for t in line["top"].as_array().unwrap() {
            let i = t["index"].as_u64().unwrap() as usize;
            max = max.max((t["prob"].as_f64().unwrap() - probs[i] as f64).abs());
        }
    }
    eprintln!("classify --head against the head on the features: max |Δprob| = {max:e}");
    assert!(max < 1e-5);
}

/// Runs `effnet args`, which must fail with exactly one line on stderr that says `expected`.
fn refused(args: &[&str], expected: &str) {
    let err = fails_with(args, expected);
    assert_eq!(
        err.lines().count(),
        1,
        "effnet {args:?}: not one line:\n{err}"
    );
}

#[test]
fn a_head_is_refused_on_another_backbone() {
    let (_, head_path, _) = taught();
    let image = sample("coffee.png");
    let lite0_pth = lite_checkpoint(0);
    for (variant, weights) in [
        ("lite1", weights("lite1")),
        // Lite0 too, but other weights (another file: another sha256).
        ("lite0", lite0_pth),
    ] {
        refused(
            &[
                "classify",
                "--variant",
                variant,
                "--weights",
                path_str(&weights),
                "--head",
                path_str(head_path),
                "--json",
                path_str(&image),
            ],
            "this head was trained on the features of lite0",
        );
    }
    // A damaged head file.
    let dir = scratch("teach_cli_damaged");
    let bytes = std::fs::read(head_path).unwrap();
    let damaged = dir.join("damaged.safetensors");
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    refused(
        &[
            "classify",
            "--variant",
            "lite0",
            "--weights",
            path_str(&weights("lite0")),
            "--head",
            path_str(&damaged),
            path_str(&image),
        ],
        "not a usable head file",
    );
}

#[test]
fn teach_refuses_an_empty_class_and_a_single_class() {
    let out = scratch("teach_cli_refusals").join("head.safetensors");
    let teach = |dir: &Path, expected: &str| {
        let args = teach_args(dir, &out);
        refused(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            expected,
        );
        assert!(!out.exists(), "no head is written");
    };
    teach(&folder("digits-empty"), "class 'empty'");
    teach(&folder("digits-one"), "teaching needs at least 2");
}

/// PyTorch's top-5 class indices for a sample photo (tools/lite_reference.py).
fn reference_top5(photo: &str) -> Vec<usize> {
    let stem = photo.rsplit_once('.').unwrap().0;
    let path = generated(fixtures_dir().join(format!("lite0_{stem}.json")));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["top5"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["index"].as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn evaluate_scores_an_imagenet_labelled_folder() {
    // Folders named by WordNet id, by class name (with a space, and with `_` for one), each
    // with the ImageNet class index it stands for and a sample photo.
    let cases = [
        ("n02123159", 282, "chelsea.png"),    // tiger cat: PyTorch's top-1
        ("Egyptian_cat", 285, "chelsea.png"), // its second
        ("espresso", 967, "coffee.png"),      // top-1
        ("space shuttle", 812, "rocket.jpg"), // in the top-5, not first
        ("tabby", 281, "coffee.png"),         // not in the top-5
    ];
    let dir = scratch("evaluate_samples");
    for (folder, _, photo) in cases {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        std::fs::copy(sample(photo), dir.join(folder).join(photo)).unwrap();
    }
    let (mut top1, mut top5) = (0, 0);
    for (_, index, photo) in cases {
        let reference = reference_top5(photo);
        top1 += usize::from(reference[0] == index);
        top5 += usize::from(reference.contains(&index));
    }
    assert_eq!((top1, top5), (2, 4), "the cases are chosen so");

    let out = effnet([
        "evaluate",
        "--variant",
        "lite0",
        "--weights",
        path_str(&weights("lite0")),
        "--json",
        path_str(&dir),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["images"], 5);
    assert_eq!(json["top1"].as_f64().unwrap(), top1 as f64 / 5.0);
    assert_eq!(json["top5"].as_f64().unwrap(), top5 as f64 / 5.0);
    let classes = json["classes"].as_array().unwrap();
    // Sorted by folder name: "Egyptian_cat" < "espresso" < "n02123159" < "space shuttle" < "tabby".
    let folders: Vec<&str> = classes
        .iter()
        .map(|c| c["folder"].as_str().unwrap())
        .collect();
    assert_eq!(
        folders,
        [
            "Egyptian_cat",
            "espresso",
            "n02123159",
            "space shuttle",
            "tabby"
        ]
    );
    for (folder, index, _) in cases {
        let c = classes.iter().find(|c| c["folder"] == folder).unwrap();
        assert_eq!(c["index"], index, "{folder}");
    }
    assert_eq!(json["worst"][0]["folder"], "tabby");
    assert_eq!(json["worst"][0]["top5"].as_f64(), Some(0.0));

    // A folder that names no ImageNet class.
    std::fs::create_dir_all(dir.join("not-a-class")).unwrap();
    refused(
        &[
            "evaluate",
            "--variant",
            "lite0",
            "--weights",
            path_str(&weights("lite0")),
            path_str(&dir),
        ],
        "not-a-class",
    );
}

#[test]
fn pooled_features_of_a_batch_are_each_images_own() {
    // Three sample photos through Lite0: as one batch, one by one, and as the mean of the
    // head's feature map that `forward_with_features` returns.
    let device = Device::default();
    let bytes = std::fs::read(weights("lite0")).unwrap();
    let (_, model) = web::load(&bytes, Some("lite0"), &device).unwrap();
    let model = model.for_cpu();
    let preprocessing = web::preprocessing(&bytes).unwrap().unwrap();
    let size = preprocessing.size;
    let inputs: Vec<Vec<f32>> = ["coffee.png", "chelsea.png", "rocket.jpg"]
        .iter()
        .map(|p| preprocessing.apply(&read_image(&sample(p)).unwrap()).0)
        .collect();
    let batch = |rows: Vec<f32>| {
        let n = rows.len() / (3 * size * size);
        Tensor::<4>::from_data(TensorData::new(rows, [n, 3, size, size]), &device)
    };
    let read = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
    let together = model.pooled_features(batch(inputs.concat()));
    assert_eq!(together.dims(), [3, 1280]);
    let together = read(together);
    let mut max = 0f64;
    for (i, input) in inputs.iter().enumerate() {
        let alone = read(model.pooled_features(batch(input.clone())));
        max = max.max(max_diff(&alone, &together[i * 1280..(i + 1) * 1280]));
        let map = model.forward_with_features(batch(input.clone())).features;
        let mean = read(map.mean_dim(3).mean_dim(2).reshape([1, 1280]));
        max = max.max(max_diff(&alone, &mean));
    }
    eprintln!(
        "pooled features: batch of 3 against one by one and the feature map's mean: max |Δ| = {max:e}"
    );
    assert!(max < 1e-5);
}
