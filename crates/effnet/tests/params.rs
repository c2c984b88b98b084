//! Parameter counts: the description, the built network and torchvision agree for every variant.

use burn::module::Module;
use burn::tensor::Device;
use burn_store::ModuleSnapshot;
use effnet::{Family, Variant};

/// torchvision's efficientnet_b0..b7 parameter counts (1000 classes).
const TORCHVISION: [(Variant, u64); 8] = [
    (Variant::B0, 5_288_548),
    (Variant::B1, 7_794_184),
    (Variant::B2, 9_109_994),
    (Variant::B3, 12_233_232),
    (Variant::B4, 19_341_616),
    (Variant::B5, 30_389_784),
    (Variant::B6, 43_040_704),
    (Variant::B7, 66_347_960),
];

#[test]
fn b0_to_b7_match_torchvision() {
    for (variant, expected) in TORCHVISION {
        assert_eq!(variant.config().describe().params, expected, "{variant}");
    }
}

#[test]
fn the_built_network_has_the_described_parameters() {
    let device = Device::default();
    for variant in Variant::ALL {
        let config = variant.config();
        let model = config.init(&device);
        // burn counts batch-norm running statistics too; PyTorch's count (and ours) does not.
        let running: usize = model
            .collect(None, None, false)
            .iter()
            .filter(|t| t.name.ends_with("running_mean") || t.name.ends_with("running_var"))
            .map(|t| t.shape.num_elements())
            .sum();
        assert!(running > 0);
        assert_eq!(
            (model.num_params() - running) as u64,
            config.describe().params,
            "{variant}"
        );
    }
}

#[test]
fn stage_rows_add_up_and_chain() {
    for variant in Variant::ALL {
        let d = variant.config().describe();
        assert_eq!(d.params, d.stages.iter().map(|s| s.params).sum::<u64>());
        for pair in d.stages.windows(2) {
            assert_eq!(pair[0].out_channels, pair[1].in_channels, "{variant}");
            assert_eq!(pair[0].out_resolution, pair[1].in_resolution, "{variant}");
        }
        let blocks: usize = d.stages[1..d.stages.len() - 1]
            .iter()
            .map(|s| s.repeats)
            .sum();
        assert_eq!(blocks, variant.config().blocks().len());
    }
}

#[test]
fn compound_scaling_grows_monotonically() {
    for family in Family::ALL {
        let presets: Vec<_> = family.presets().map(|v| v.config().describe()).collect();
        assert!(presets.len() >= 2, "{family:?}");
        for pair in presets.windows(2) {
            assert!(pair[1].params > pair[0].params && pair[1].flops > pair[0].flops);
            assert!(pair[1].resolution >= pair[0].resolution);
        }
    }
}
