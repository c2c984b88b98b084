//! Class activation maps against a direct computation from the feature map and the classifier.

use burn::tensor::{Device, Distribution, Tensor};
use effnet::config::{EfficientNetConfig, Family};

#[test]
fn cam_is_the_classifier_weighted_feature_map() {
    let device = Device::default();
    let config =
        EfficientNetConfig::new("small".into(), Family::B, 0.5, 0.5, 64, 0.2).with_num_classes(5);
    let model = config.init(&device);
    let x = Tensor::<4>::random([2, 3, 64, 64], Distribution::Normal(0.0, 1.0), &device);
    let out = model.forward_with_features(x);
    let [b, c, h, w] = out.features.dims();
    let features = out
        .features
        .clone()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let weight = model
        .classifier
        .weight
        .val()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap(); // [c, classes]
    let bias = model
        .classifier
        .bias
        .as_ref()
        .unwrap()
        .val()
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let logits = out.logits.into_data().try_to_vec::<f32>().unwrap();
    let classes = config.num_classes;

    for class in 0..classes {
        let cam = model.class_activation_map(out.features.clone(), class);
        assert_eq!(cam.dims(), [b, h, w]);
        let cam = cam.into_data().try_to_vec::<f32>().unwrap();
        for n in 0..b {
            let mut mean = 0f64;
            for p in 0..h * w {
                let direct: f64 = (0..c)
                    .map(|ch| {
                        features[(n * c + ch) * h * w + p] as f64
                            * weight[ch * classes + class] as f64
                    })
                    .sum();
                let got = cam[n * h * w + p] as f64;
                assert!(
                    (got - direct).abs() <= 1e-4 * direct.abs().max(1.0),
                    "class {class} pixel {p}: {got} vs {direct}"
                );
                mean += got / (h * w) as f64;
            }
            let logit = logits[n * classes + class] as f64;
            assert!(
                (mean + bias[class] as f64 - logit).abs() <= 1e-4,
                "mean CAM + bias {} vs logit {logit}",
                mean + bias[class] as f64
            );
        }
    }

    // Several classes at once, for one image: the same maps, in the order asked.
    let first = out.features.clone().slice([0..1]);
    let picked = [3, 0, 4];
    let maps = model.class_activation_maps(first.clone(), &picked);
    assert_eq!(maps.dims(), [picked.len(), h, w]);
    let maps = maps.into_data().try_to_vec::<f32>().unwrap();
    for (k, &class) in picked.iter().enumerate() {
        let one = model
            .class_activation_map(first.clone(), class)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(&maps[k * h * w..(k + 1) * h * w], &one[..], "class {class}");
    }
}
