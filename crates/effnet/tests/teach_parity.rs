//! Training a head against PyTorch: `tools/teach_reference.py` (scripts/test.sh writes
//! `target/fixtures/teach_parity.json`) trains the same linear softmax head on the same
//! features, from the same initial weights, with the same Adam settings, L2 term and batch
//! order, in PyTorch. Requirement: after the whole run (50 epochs) the heads agree within 1e-4.
//! Two runs: 1280 features of 102 examples in 5 classes, separable (as a backbone's features
//! of a small set of photos are), with Teachable Machine's settings; and 16 features of 250
//! examples in 3 overlapping classes (the loss stays high, so the gradients never vanish),
//! batches of 10 and a stronger L2 term.

mod common;

use burn::tensor::Device;
use common::{fixtures_dir, floats, generated, max_diff, usizes};
use effnet::teach::rng::{Purpose, SplitMix64};
use effnet::teach::{Normalization, TrainSettings, Trainer, initial_head};
use serde_json::Value;

const TOLERANCE: f64 = 1e-4;

#[test]
fn the_head_trains_as_in_pytorch() {
    check("teach_parity.json");
}

#[test]
fn the_head_trains_as_in_pytorch_on_overlapping_classes() {
    check("teach_parity_overlap.json");
}

fn check(name: &str) {
    let path = generated(fixtures_dir().join(name));
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (dim, k) = (
        fx["dim"].as_u64().unwrap() as usize,
        fx["classes"].as_u64().unwrap() as usize,
    );
    let mut features = floats(&fx["features"]);
    let labels = usizes(&fx["labels"]);
    let n = labels.len();
    let s = &fx["settings"];
    let settings = TrainSettings {
        epochs: s["epochs"].as_u64().unwrap() as usize,
        batch_size: s["batch_size"].as_u64().unwrap() as usize,
        learning_rate: s["learning_rate"].as_f64().unwrap(),
        l2: s["l2"].as_f64().unwrap(),
        beta_1: s["beta_1"].as_f64().unwrap(),
        beta_2: s["beta_2"].as_f64().unwrap(),
        epsilon: s["epsilon"].as_f64().unwrap(),
        seed: s["seed"].as_u64().unwrap(),
        ..TrainSettings::default()
    };
    // Adam's constants are fixed in the reference: ours by default.
    let defaults = TrainSettings::default();
    assert_eq!(
        (settings.beta_1, settings.beta_2, settings.epsilon),
        (defaults.beta_1, defaults.beta_2, defaults.epsilon)
    );

    // The normalisation: the same statistics.
    let rows: Vec<usize> = (0..n).collect();
    let norm = Normalization::fit(&features, dim, &rows).unwrap();
    let (dm, ds) = (
        max_diff(&norm.mean, &floats(&fx["mean"])),
        max_diff(&norm.std, &floats(&fx["std"])),
    );
    eprintln!("normalisation: max |Δmean| = {dm:e}, max |Δstd| = {ds:e}");
    assert!(dm <= 1e-6 && ds <= 1e-6);
    norm.apply(&mut features);

    // The same random numbers: initial weights bit for bit, epoch 1's order.
    let (w0, b0) = initial_head(dim, k, settings.seed);
    assert_eq!(w0, floats(&fx["initial_weight"]), "initial weights");
    assert_eq!(b0, vec![0.0; k]);
    let mut order: Vec<usize> = (0..n).collect();
    SplitMix64::for_purpose(settings.seed, Purpose::Shuffle).shuffle(&mut order);
    assert_eq!(order, usizes(&fx["first_order"]), "epoch 1's order");

    // The whole run.
    let start = std::time::Instant::now();
    let mut trainer = Trainer::new(&features, dim, &labels, k, &settings, &Device::flex()).unwrap();
    while !trainer.is_done() {
        trainer.epoch().unwrap();
    }
    let seconds = start.elapsed().as_secs_f64();
    let (weight, bias) = trainer.weights().unwrap();
    let dl = max_diff(trainer.losses(), &floats(&fx["losses"]));
    let dw = max_diff(&weight, &floats(&fx["weight"]));
    let db = max_diff(&bias, &floats(&fx["bias"]));
    let moved = max_diff(&weight, &w0);
    eprintln!(
        "{name}: {} epochs of {n} examples × {dim} features, {k} classes in {seconds:.2} s: max |Δloss| = {dl:e}, max |Δweight| = {dw:e} (the largest change from the initial weights: {moved}), max |Δbias| = {db:e}",
        settings.epochs
    );
    assert!(
        trainer.losses()[settings.epochs - 1] < trainer.losses()[0],
        "the loss falls"
    );
    assert!(dl <= TOLERANCE, "losses differ by {dl}");
    assert!(dw <= TOLERANCE, "weights differ by {dw}");
    assert!(db <= TOLERANCE, "biases differ by {db}");
}
