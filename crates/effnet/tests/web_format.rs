//! The web format round-trips a network exactly (f32) or closely (f16), and rejects bad files.

use burn::tensor::{Device, Distribution, Tensor};
use effnet::config::{EfficientNetConfig, Family, Padding};
use effnet::preprocess::Preprocessing;
use effnet::weights::WeightsError;
use effnet::weights::manifest::{ManifestEntry, sha256_hex};
use effnet::weights::web::{self, Precision};

fn small() -> EfficientNetConfig {
    EfficientNetConfig::new("small".into(), Family::B, 0.5, 0.5, 32, 0.2).with_num_classes(7)
}

fn logits(model: &effnet::EfficientNet, x: &Tensor<4>) -> Vec<f32> {
    model
        .forward(x.clone())
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
}

#[test]
fn f32_round_trip_is_exact_and_f16_is_close() {
    let device = Device::default();
    let config = small().with_padding(Padding::TfSame);
    let model = config.init(&device);
    let x = Tensor::<4>::random([2, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
    let reference = logits(&model, &x);

    let bytes = web::encode(
        &model,
        &config,
        Precision::F32,
        Some(&Preprocessing::lite(32)),
    )
    .unwrap();
    let (cfg, loaded) = web::load(&bytes, Some("small"), &device).unwrap();
    assert_eq!(cfg, config);
    assert_eq!(logits(&loaded, &x), reference);
    assert_eq!(
        web::preprocessing(&bytes).unwrap(),
        Some(Preprocessing::lite(32))
    );

    let half = web::encode(&model, &config, Precision::F16, None).unwrap();
    assert!(
        half.len() * 10 < bytes.len() * 6,
        "f16 file {} vs f32 {}",
        half.len(),
        bytes.len()
    );
    assert_eq!(web::preprocessing(&half).unwrap(), None);
    let (_, loaded) = web::load(&half, None, &device).unwrap();
    assert_close(&logits(&loaded, &x), &reference, 1e-2, "f16");
}

/// `ours` within `relative` of the largest |logit| of `reference`.
fn assert_close(ours: &[f32], reference: &[f32], relative: f32, what: &str) {
    let max = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    let scale = reference.iter().map(|v| v.abs()).fold(0f32, f32::max);
    assert!(
        max <= relative * scale.max(1e-3),
        "{what} moved logits by {max} (scale {scale})"
    );
}

#[test]
fn folded_networks_round_trip_and_halve_the_size() {
    let device = Device::default();
    let config = small();
    let model = config.init(&device);
    let x = Tensor::<4>::random([1, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
    let unfolded = web::encode(&model, &config, Precision::F32, None).unwrap();
    let folded = model.fold_batch_norms();
    assert!(folded.is_folded());
    let reference = logits(&folded, &x);

    let bytes = web::encode(&folded, &config, Precision::F32, None).unwrap();
    let (_, loaded) = web::load(&bytes, None, &device).unwrap();
    assert!(loaded.is_folded());
    assert_eq!(logits(&loaded, &x), reference);

    let half = web::encode(&folded, &config, Precision::F16, None).unwrap();
    assert!(
        half.len() * 2 <= unfolded.len(),
        "folded f16 {} bytes vs f32 with batch norms {}",
        half.len(),
        unfolded.len()
    );
    let (_, loaded) = web::load(&half, None, &device).unwrap();
    assert_close(&logits(&loaded, &x), &reference, 1e-2, "f16");
}

#[test]
fn bad_files_are_rejected_with_reasons() {
    let device = Device::default();
    let config = small();
    let bytes = web::encode(&config.init(&device), &config, Precision::F16, None).unwrap();

    for (bad, why) in [
        (Vec::new(), "too short"),
        (b"hello world, not weights".to_vec(), "header"),
        (bytes[..bytes.len() / 2].to_vec(), "truncated data"),
    ] {
        let err = web::load(&bad, None, &device).unwrap_err();
        assert!(err.to_string().contains(why), "{err}");
    }
    let err = web::load(&bytes, Some("b0"), &device).unwrap_err();
    assert_eq!(
        err,
        WeightsError::WrongVariant {
            expected: "b0".into(),
            found: "small".into()
        }
    );
}

#[test]
fn weights_for_another_shape_name_what_does_not_fit() {
    let device = Device::default();
    let config = small();
    let bytes = web::encode(&config.init(&device), &config, Precision::F16, None).unwrap();
    let (_, tensors) = web::decode(&bytes).unwrap();
    let bigger = EfficientNetConfig {
        depth: 1.0,
        ..small()
    }
    .with_num_classes(9);
    let err = web::build(bigger, tensors, None, &device).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, WeightsError::Mismatch { .. }));
    assert!(
        text.contains("missing") && text.contains("blocks."),
        "{text}"
    );
    assert!(text.contains("wrong: blocks.2.depthwise.conv.weight is [96, 1, 5, 5] but the network needs [96, 1, 3, 3]"), "{text}");
}

#[test]
fn manifest_checksum_catches_corruption() {
    let device = Device::default();
    let config = small();
    let bytes = web::encode(&config.init(&device), &config, Precision::F16, None).unwrap();
    let entry: ManifestEntry = serde_json::from_value(serde_json::json!({
        "variant": "small", "file": "small.safetensors", "source": "seed", "origin": "test",
        "license": "none", "sha256": sha256_hex(&bytes), "bytes": bytes.len(), "precision": "f16",
        "padding": "Symmetric", "bn_eps": 1e-3, "num_classes": 7,
        "preprocessing": {"size": 32, "resize": {"rule": "centre_crop_then_resize", "pad": 32},
                          "interpolation": "bicubic", "mean": [127.0, 127.0, 127.0], "std": [128.0, 128.0, 128.0]}
    }))
    .unwrap();
    entry.verify(&bytes).unwrap();
    let mut corrupt = bytes.clone();
    corrupt[bytes.len() - 3] ^= 0x40;
    assert!(matches!(
        entry.verify(&corrupt),
        Err(WeightsError::Checksum { .. })
    ));
}

#[test]
fn q8_round_trip_is_close_and_about_a_quarter_of_f32() {
    let device = Device::default();
    let config = small();
    let model = config.init(&device).fold_batch_norms();
    let x = Tensor::<4>::random([2, 3, 32, 32], Distribution::Normal(0.0, 1.0), &device);
    let reference = logits(&model, &x);
    let full = web::encode(&model, &config, Precision::F32, None).unwrap();
    let q8 = web::encode(&model, &config, Precision::Q8, None).unwrap();
    assert!(
        q8.len() * 3 < full.len(),
        "q8 {} vs f32 {}",
        q8.len(),
        full.len()
    );
    let (_, loaded) = web::load(&q8, Some("small"), &device).unwrap();
    assert_close(&logits(&loaded, &x), &reference, 5e-2, "q8");
    // The decoded tensors are f32 and none of the scales is left over as a tensor.
    let (_, tensors) = web::decode(&q8).unwrap();
    assert!(tensors.iter().all(|t| !t.name.contains(':')));

    // An 8-bit tensor whose scales are gone is a clear error.
    let broken = {
        let mut b = q8.clone();
        let at = b
            .windows(6)
            .position(|w| w == b":scale")
            .expect("a scales tensor in the header");
        b[at + 1] = b'X';
        b
    };
    let err = web::load(&broken, None, &device).unwrap_err();
    assert!(err.to_string().contains("no scales"), "{err}");
}
