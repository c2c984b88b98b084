//! Parity with the PyTorch references: fixtures made by `tools/gen_fixtures.py` from torchvision's
//! architecture in the seed's key naming (`seed_*`, `tools/seed_naming.py`), torchvision, timm and
//! lukemelas' efficientnet_pytorch, with random weights and randomised batch-norm statistics,
//! loaded through this crate's importers. The `seedref_*` fixtures come from the seed's own code
//! and exist only where `../shared/seed` (or `$EFFNET_SEED`) does: without them those tests are
//! skipped, unless `EFFNET_REQUIRE_SEED=1` (scripts/test.sh sets it when the seed is there).
//! Requirement: max |Δlogit| ≤ 1e-4 in f32.

use burn::tensor::{Device, Tensor, TensorData};
use effnet::config::{EfficientNetConfig, Family, Padding};
use effnet::model::DepthwiseImpl;
use effnet::weights::{Source, import};
use serde_json::Value;

const TOLERANCE: f32 = 1e-4;

mod common;
use common::{fixtures_dir, floats, usizes};

/// Loads fixture `name`, runs it with `padding` (or the fixture's own) the way `run_as` says,
/// returns (max |Δlogit|, fixture, output).
fn run(name: &str, padding: Option<Padding>, run_as: RunAs) -> (f32, Value, effnet::model::Output) {
    let dir = fixtures_dir();
    let path = dir.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!("fixture {} is missing: run `/usr/bin/python3 tools/gen_fixtures.py` (scripts/test.sh does)", path.display())
    });
    let fx: Value = serde_json::from_str(&text).expect("fixture JSON");
    let c = &fx["config"];
    let family = if c["family"] == "lite" {
        Family::Lite
    } else {
        Family::B
    };
    let own = if c["padding"] == "tf_same" {
        Padding::TfSame
    } else {
        Padding::Symmetric
    };
    let padding = padding.unwrap_or(own);
    let shape = usizes(&fx["input_shape"]);
    let config = EfficientNetConfig::new(
        name.into(),
        family,
        c["width"].as_f64().unwrap(),
        c["depth"].as_f64().unwrap(),
        shape[3],
        c["dropout"].as_f64().unwrap(),
    )
    .with_num_classes(c["num_classes"].as_u64().unwrap() as usize)
    .with_padding(padding)
    .with_bn_eps(c["bn_eps"].as_f64().unwrap());
    let source = Source::parse(fx["source"].as_str().unwrap()).expect("known source");

    let device = Device::default();
    let checkpoint = dir.join(fx["checkpoint"].as_str().unwrap());
    let model = import::load_pytorch(&checkpoint, Some(source), &config, &device)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let model = match run_as {
        RunAs::Imported => model,
        RunAs::Cpu => model.for_cpu(),
        RunAs::ShiftAdd => model
            .fold_batch_norms()
            .with_exp_silu()
            .with_depthwise(DepthwiseImpl::ShiftAdd),
    };
    let input = Tensor::<4>::from_data(
        TensorData::new(floats(&fx["input"]), shape.clone()),
        &device,
    );
    let out = model.forward_with_features(input);

    let expected = floats(&fx["logits"]);
    let logits = out.logits.clone().into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(logits.len(), expected.len(), "{name}: number of logits");
    let max = logits
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    let spread = expected.iter().map(|v| v.abs()).fold(0f32, f32::max);
    eprintln!("{name} ({run_as:?}): max |Δlogit| = {max:e} (max |logit| {spread})");
    (max, fx, out)
}

/// How the imported network is run.
#[derive(Debug, Clone, Copy)]
enum RunAs {
    /// As imported: batch norms separate, burn's operations throughout.
    Imported,
    /// As the CLI and the page's CPU path run it (`EfficientNet::for_cpu`): batch norms folded
    /// into the convolutions, SiLU as x / (1 + e^−x), the Flex kernels for depthwise
    /// convolutions and activations.
    Cpu,
    /// Folded, with the depthwise convolutions as shift-and-add (the page's `?dw=shift`).
    ShiftAdd,
}

fn check(name: &str) {
    for run_as in [RunAs::Cpu, RunAs::ShiftAdd] {
        let (max, _, _) = run(name, None, run_as);
        assert!(
            max <= TOLERANCE,
            "{name} ({run_as:?}): max |Δlogit| = {max} > {TOLERANCE}"
        );
    }
    let (max, fx, out) = run(name, None, RunAs::Imported);
    assert!(
        max <= TOLERANCE,
        "{name}: max |Δlogit| = {max} > {TOLERANCE}"
    );

    assert_eq!(
        out.features.dims().to_vec(),
        usizes(&fx["features_shape"]),
        "{name}: feature map shape"
    );
    let sum: f64 = out
        .features
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|&v| v as f64)
        .sum();
    let want = fx["features_sum"].as_f64().unwrap();
    assert!(
        (sum - want).abs() <= 1e-4 * want.abs().max(1.0),
        "{name}: feature sum {sum} vs {want}"
    );
}

macro_rules! parity {
    ($($test:ident => $fixture:literal),* $(,)?) => {
        $(#[test] fn $test() { check($fixture); })*
    };
}

parity! {
    seed_b0_full_architecture => "seed_b0",
    seed_width_06_depth_05 => "seed_w06_d05",
    seed_width_11_depth_12 => "seed_b2",
    torchvision_b0 => "tv_b0",
    torchvision_b1 => "tv_b1",
    timm_b0 => "timm_b0",
    timm_tf_b0_same_padding => "timm_tf_b0",
    timm_tf_b0_odd_input_size => "timm_tf_b0_odd",
    lukemelas_b0_same_padding => "luke_b0",
    lukemelas_lite0_same_padding => "luke_lite0",
}

/// Fixtures from the seed reference's own code: checked when present; when missing, skipped with a
/// message, or a failure under `EFFNET_REQUIRE_SEED=1`.
fn check_seed_reference(name: &str) {
    let path = fixtures_dir().join(format!("{name}.json"));
    if !path.exists() {
        let required = std::env::var("EFFNET_REQUIRE_SEED").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{} is missing and EFFNET_REQUIRE_SEED=1: run `/usr/bin/python3 tools/gen_fixtures.py` with the seed \
             reference at ../shared/seed/efficientnet_reference.py (or $EFFNET_SEED)",
            path.display()
        );
        eprintln!(
            "{name}: skipped, {} is missing (made only when the seed reference ../shared/seed is there; \
             EFFNET_REQUIRE_SEED=1 makes this a failure)",
            path.display()
        );
        return;
    }
    check(name);
}

#[test]
fn seedref_b0_full_architecture() {
    check_seed_reference("seedref_b0");
}

#[test]
fn seedref_width_06_depth_05() {
    check_seed_reference("seedref_w06_d05");
}

#[test]
fn seedref_width_11_depth_12() {
    check_seed_reference("seedref_b2");
}

/// The comparison is sensitive: TF-ported weights run with symmetric padding are far off.
#[test]
fn wrong_padding_is_detected() {
    let (max, _, _) = run("luke_b0", Some(Padding::Symmetric), RunAs::Imported);
    assert!(
        max > 1e-2,
        "symmetric padding on TF-SAME weights moved logits by only {max}"
    );
}
