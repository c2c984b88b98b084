//! One configuration type for the whole EfficientNet V1 family.
//!
//! [`EfficientNetConfig`] describes a network completely: it builds the burn module
//! ([`EfficientNetConfig::init`]) and it describes the network for people
//! ([`crate::describe`]), both from the same expanded block list ([`EfficientNetConfig::blocks`]),
//! so the two can never disagree.

use burn::config::Config;

/// The two families of EfficientNet V1.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum Family {
    /// EfficientNet-B0..B7: Squeeze-and-Excitation, SiLU (swish), stem and head scaled by width.
    B,
    /// EfficientNet-Lite0..4: no SE, ReLU6, stem 32 / head 1280 fixed, first and last stage
    /// repeats not depth-scaled.
    Lite,
}

impl Family {
    pub const ALL: [Family; 2] = [Family::B, Family::Lite];

    /// The family's presets, smallest first (as [`Variant::ALL`] lists them).
    pub fn presets(self) -> impl Iterator<Item = Variant> {
        Variant::ALL.into_iter().filter(move |v| v.family() == self)
    }

    /// "B", "Lite": how the family is named on its own.
    pub fn label(self) -> &'static str {
        match self {
            Family::B => "B",
            Family::Lite => "Lite",
        }
    }
}

/// How convolutions are padded. A property of where the weights come from.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum Padding {
    /// `(k - 1) / 2` on every side (the seed, torchvision, timm's non-`tf_` models).
    Symmetric,
    /// TensorFlow "SAME": output `ceil(in / stride)`, the odd pixel of padding at the end
    /// (TF-ported weights: Lite, lukemelas, timm's `tf_` models).
    TfSame,
}

/// The activation used throughout a network.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum Activation {
    /// SiLU, a.k.a. swish: `x * sigmoid(x)`.
    Silu,
    /// The same SiLU computed as `x / (1 + e^−x)`: faster on burn's Flex CPU backend (whose
    /// sigmoid is slower than its exp), but more kernels on a GPU without fusion. Chosen per
    /// backend by [`crate::EfficientNet::with_exp_silu`].
    SiluExp,
    /// `min(max(x, 0), 6)`.
    Relu6,
}

/// One row of the base (B0) stage table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BaseStage {
    pub kernel: usize,
    pub stride: usize,
    pub expand_ratio: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub repeats: usize,
}

const fn stage(
    kernel: usize,
    stride: usize,
    expand_ratio: usize,
    in_channels: usize,
    out_channels: usize,
    repeats: usize,
) -> BaseStage {
    BaseStage {
        kernel,
        stride,
        expand_ratio,
        in_channels,
        out_channels,
        repeats,
    }
}

/// EfficientNet-B0's seven MBConv stages (Tan & Le 2019, table 1).
pub const BASE_STAGES: [BaseStage; 7] = [
    stage(3, 1, 1, 32, 16, 1),
    stage(3, 2, 6, 16, 24, 2),
    stage(5, 2, 6, 24, 40, 2),
    stage(3, 2, 6, 40, 80, 3),
    stage(5, 1, 6, 80, 112, 3),
    stage(5, 2, 6, 112, 192, 4),
    stage(3, 1, 6, 192, 320, 1),
];

/// Stem output channels and head channels before width scaling.
pub const BASE_STEM: usize = 32;
pub const BASE_HEAD: usize = 1280;
/// B0's input side, which compound scaling multiplies by γ^φ.
pub const BASE_RESOLUTION: usize = 224;

/// Compound-scaling coefficients of the paper: depth α, width β, resolution γ.
pub const ALPHA: f64 = 1.2;
pub const BETA: f64 = 1.1;
pub const GAMMA: f64 = 1.15;

/// Round `channels` to a multiple of `divisor`, never going down by more than 10%
/// (TensorFlow's `make_divisible`, as the reference uses it).
pub fn make_divisible(channels: f64, divisor: usize) -> usize {
    let d = divisor as f64;
    let rounded = ((channels + d / 2.0) as usize / divisor * divisor).max(divisor);
    if (rounded as f64) < 0.9 * channels {
        rounded + divisor
    } else {
        rounded
    }
}

/// `ceil(repeats × depth)`, the reference's depth rounding.
pub fn round_repeats(repeats: usize, depth: f64) -> usize {
    (repeats as f64 * depth).ceil() as usize
}

/// Everything that fixes the architecture and the numerics of one EfficientNet.
#[derive(Config, Debug, PartialEq)]
pub struct EfficientNetConfig {
    /// Short name shown to people: `b0`, `lite2`, `phi=1.5`, …
    pub name: String,
    pub family: Family,
    /// Width multiplier (channels).
    pub width: f64,
    /// Depth multiplier (block repeats).
    pub depth: f64,
    /// Input resolution the variant was designed for (square).
    pub resolution: usize,
    /// Dropout before the classifier (training only).
    pub dropout: f64,
    #[config(default = 1000)]
    pub num_classes: usize,
    /// Stochastic-depth rate of the last block; block `i` of `n` uses `rate * i / n`.
    #[config(default = 0.2)]
    pub drop_connect: f64,
    #[config(default = "Padding::Symmetric")]
    pub padding: Padding,
    #[config(default = 1e-3)]
    pub bn_eps: f64,
}

/// One MBConv block, fully resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockSpec {
    /// Stage number, 1-based as in the paper (`1a`, `2b`, …).
    pub stage: usize,
    /// Index of the block inside its stage (0 = `a`).
    pub index_in_stage: usize,
    pub kernel: usize,
    pub stride: usize,
    pub expand_ratio: usize,
    pub in_channels: usize,
    pub expanded_channels: usize,
    pub out_channels: usize,
    /// Squeeze-and-Excitation bottleneck channels (block *input* channels / 4), if any.
    pub se_channels: Option<usize>,
    pub residual: bool,
    pub drop_path: f64,
}

impl BlockSpec {
    /// The block's name in the reference: `1a`, `2b`, …
    pub fn label(&self) -> String {
        format!(
            "{}{}",
            self.stage,
            (b'a' + self.index_in_stage as u8) as char
        )
    }
}

impl Family {
    pub fn activation(self) -> Activation {
        match self {
            Family::B => Activation::Silu,
            Family::Lite => Activation::Relu6,
        }
    }
}

impl EfficientNetConfig {
    /// A B-family network at compound coefficient `phi` (d = α^φ, w = β^φ, r = γ^φ × 224).
    /// Resolution is rounded to a multiple of 4.
    pub fn from_phi(phi: f64) -> Self {
        let resolution = ((BASE_RESOLUTION as f64 * GAMMA.powf(phi) / 4.0).round() as usize) * 4;
        Self::new(
            format!("phi={phi}"),
            Family::B,
            BETA.powf(phi),
            ALPHA.powf(phi),
            resolution,
            0.2,
        )
    }

    pub fn activation(&self) -> Activation {
        self.family.activation()
    }

    /// Channels after width scaling.
    pub fn scale_channels(&self, channels: usize) -> usize {
        make_divisible(channels as f64 * self.width, 8)
    }

    pub fn stem_channels(&self) -> usize {
        match self.family {
            Family::B => self.scale_channels(BASE_STEM),
            Family::Lite => BASE_STEM,
        }
    }

    pub fn head_channels(&self) -> usize {
        match self.family {
            Family::B => self.scale_channels(BASE_HEAD),
            Family::Lite => BASE_HEAD,
        }
    }

    /// Block repeats of stage `i` (0-based) after depth scaling.
    pub fn stage_repeats(&self, i: usize) -> usize {
        let fixed = self.family == Family::Lite && (i == 0 || i == BASE_STAGES.len() - 1);
        if fixed {
            BASE_STAGES[i].repeats
        } else {
            round_repeats(BASE_STAGES[i].repeats, self.depth)
        }
    }

    /// Every MBConv block in order. Each block's input is the previous output (the stem's for
    /// the first), so a fixed stem (Lite) feeds the first stage as it really is.
    pub fn blocks(&self) -> Vec<BlockSpec> {
        let total: usize = (0..BASE_STAGES.len()).map(|i| self.stage_repeats(i)).sum();
        let se = self.family == Family::B;
        let mut blocks = Vec::with_capacity(total);
        let mut in_channels = self.stem_channels();
        for (s, base) in BASE_STAGES.iter().enumerate() {
            let out_channels = self.scale_channels(base.out_channels);
            for j in 0..self.stage_repeats(s) {
                let stride = if j == 0 { base.stride } else { 1 };
                let n = blocks.len();
                blocks.push(BlockSpec {
                    stage: s + 1,
                    index_in_stage: j,
                    kernel: base.kernel,
                    stride,
                    expand_ratio: base.expand_ratio,
                    in_channels,
                    expanded_channels: in_channels * base.expand_ratio,
                    out_channels,
                    se_channels: se.then(|| (in_channels / 4).max(1)),
                    residual: stride == 1 && in_channels == out_channels,
                    drop_path: self.drop_connect * n as f64 / total as f64,
                });
                in_channels = out_channels;
            }
        }
        blocks
    }
}

/// The named members of the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    B0,
    B1,
    B2,
    B3,
    B4,
    B5,
    B6,
    B7,
    Lite0,
    Lite1,
    Lite2,
    Lite3,
    Lite4,
}

impl Variant {
    pub const ALL: [Variant; 13] = [
        Variant::B0,
        Variant::B1,
        Variant::B2,
        Variant::B3,
        Variant::B4,
        Variant::B5,
        Variant::B6,
        Variant::B7,
        Variant::Lite0,
        Variant::Lite1,
        Variant::Lite2,
        Variant::Lite3,
        Variant::Lite4,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::B0 => "b0",
            Variant::B1 => "b1",
            Variant::B2 => "b2",
            Variant::B3 => "b3",
            Variant::B4 => "b4",
            Variant::B5 => "b5",
            Variant::B6 => "b6",
            Variant::B7 => "b7",
            Variant::Lite0 => "lite0",
            Variant::Lite1 => "lite1",
            Variant::Lite2 => "lite2",
            Variant::Lite3 => "lite3",
            Variant::Lite4 => "lite4",
        }
    }

    /// Parses `b0`, `B0`, `efficientnet-b0`, `efficientnet_lite0`, …
    pub fn parse(name: &str) -> Option<Variant> {
        let lower = name.trim().to_ascii_lowercase();
        let short = lower
            .trim_start_matches("efficientnet")
            .trim_start_matches(['-', '_']);
        Variant::ALL.into_iter().find(|v| v.name() == short)
    }

    /// The compound coefficient a B preset is named by (B3: φ = 3), from its place among the
    /// B presets; `None` for Lite (scaled by hand, not by the formula).
    pub fn phi(self) -> Option<usize> {
        Family::B.presets().position(|v| v == self)
    }

    pub fn family(self) -> Family {
        match self {
            Variant::Lite0 | Variant::Lite1 | Variant::Lite2 | Variant::Lite3 | Variant::Lite4 => {
                Family::Lite
            }
            _ => Family::B,
        }
    }

    /// (width, depth, resolution, dropout) — the seed's table for B0–B7, TensorFlow's
    /// `efficientnet_lite_builder` for Lite0–4.
    pub fn coefficients(self) -> (f64, f64, usize, f64) {
        match self {
            Variant::B0 => (1.0, 1.0, 224, 0.2),
            Variant::B1 => (1.0, 1.1, 240, 0.2),
            Variant::B2 => (1.1, 1.2, 260, 0.3),
            Variant::B3 => (1.2, 1.4, 300, 0.3),
            Variant::B4 => (1.4, 1.8, 380, 0.4),
            Variant::B5 => (1.6, 2.2, 456, 0.4),
            Variant::B6 => (1.8, 2.6, 528, 0.5),
            Variant::B7 => (2.0, 3.1, 600, 0.5),
            Variant::Lite0 => (1.0, 1.0, 224, 0.2),
            Variant::Lite1 => (1.0, 1.1, 240, 0.2),
            Variant::Lite2 => (1.1, 1.2, 260, 0.3),
            Variant::Lite3 => (1.2, 1.4, 280, 0.3),
            Variant::Lite4 => (1.4, 1.8, 300, 0.3),
        }
    }

    /// ImageNet top-1 reported by the authors (EfficientNet paper, table 2, for B0–B7;
    /// the TensorFlow EfficientNet-Lite README for Lite0–4).
    pub fn reported_top1(self) -> f64 {
        match self {
            Variant::B0 => 77.1,
            Variant::B1 => 79.1,
            Variant::B2 => 80.1,
            Variant::B3 => 81.6,
            Variant::B4 => 82.9,
            Variant::B5 => 83.6,
            Variant::B6 => 84.0,
            Variant::B7 => 84.3,
            Variant::Lite0 => 75.1,
            Variant::Lite1 => 76.7,
            Variant::Lite2 => 77.6,
            Variant::Lite3 => 79.8,
            Variant::Lite4 => 81.5,
        }
    }

    /// The preset configuration, with the numerics of its usual weights: symmetric padding
    /// and eps 1e-3 (the seed) for B0–B7; TF-SAME padding and eps 1e-3 for Lite.
    pub fn config(self) -> EfficientNetConfig {
        let (width, depth, resolution, dropout) = self.coefficients();
        let config = EfficientNetConfig::new(
            self.name().to_string(),
            self.family(),
            width,
            depth,
            resolution,
            dropout,
        );
        match self.family() {
            Family::B => config,
            Family::Lite => config.with_padding(Padding::TfSame),
        }
    }
}

/// A variant is written as its name (`"b0"`, `"lite3"`) in JSON.
impl serde::Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Variant {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Variant::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown variant {name:?}")))
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.name();
        match self.family() {
            Family::B => write!(f, "EfficientNet-{}", name.to_ascii_uppercase()),
            Family::Lite => write!(f, "EfficientNet-Lite{}", &name[4..]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_divisible_matches_the_reference_rule() {
        assert_eq!(make_divisible(32.0, 8), 32);
        assert_eq!(make_divisible(35.2, 8), 32); // 1.1 × 32: rounds down, within 10%
        assert_eq!(make_divisible(19.2, 8), 24); // 0.6 × 32: 16 would lose > 10%
        assert_eq!(make_divisible(1408.0, 8), 1408);
        assert_eq!(make_divisible(3.0, 8), 8);
        assert_eq!(make_divisible(44.8, 8), 48);
    }

    #[test]
    fn depth_is_ceiled_per_stage() {
        let b1 = Variant::B1.config();
        let repeats: Vec<_> = (0..7).map(|i| b1.stage_repeats(i)).collect();
        assert_eq!(repeats, [2, 3, 3, 4, 4, 5, 2]);
        let lite4 = Variant::Lite4.config();
        let repeats: Vec<_> = (0..7).map(|i| lite4.stage_repeats(i)).collect();
        assert_eq!(repeats, [1, 4, 4, 6, 6, 8, 1]);
    }

    #[test]
    fn b0_blocks_follow_the_table() {
        let blocks = Variant::B0.config().blocks();
        assert_eq!(blocks.len(), 16);
        let labels: Vec<_> = blocks.iter().map(|b| b.label()).collect();
        assert_eq!(&labels[..4], ["1a", "2a", "2b", "3a"]);
        let b = &blocks[1];
        assert_eq!(
            (b.in_channels, b.expanded_channels, b.out_channels, b.stride),
            (16, 96, 24, 2)
        );
        assert_eq!(b.se_channels, Some(4));
        assert!(!b.residual && blocks[2].residual);
        assert_eq!(blocks[15].drop_path, 0.2 * 15.0 / 16.0);
    }

    #[test]
    fn lite_keeps_stem_and_head_and_drops_se() {
        let c = Variant::Lite4.config();
        assert_eq!((c.stem_channels(), c.head_channels()), (32, 1280));
        let blocks = c.blocks();
        assert_eq!(blocks[0].in_channels, 32);
        assert_eq!(blocks[0].out_channels, 24); // 16 × 1.4 = 22.4 → 24
        assert!(blocks.iter().all(|b| b.se_channels.is_none()));
        assert_eq!(c.activation(), Activation::Relu6);
    }

    #[test]
    fn variants_parse_from_common_spellings() {
        assert_eq!(Variant::parse("B3"), Some(Variant::B3));
        assert_eq!(Variant::parse("efficientnet-lite2"), Some(Variant::Lite2));
        assert_eq!(Variant::parse("efficientnet_b7"), Some(Variant::B7));
        assert_eq!(Variant::parse("b8"), None);
        assert_eq!(Variant::B5.to_string(), "EfficientNet-B5");
        assert_eq!(Variant::Lite1.to_string(), "EfficientNet-Lite1");
    }

    #[test]
    fn b_presets_are_named_by_phi() {
        assert_eq!(Variant::B0.phi(), Some(0));
        assert_eq!(Variant::B7.phi(), Some(7));
        assert_eq!(Variant::Lite2.phi(), None);
        assert_eq!(Family::B.presets().count(), 8);
        assert_eq!(Family::Lite.presets().next(), Some(Variant::Lite0));
    }

    #[test]
    fn phi_reproduces_the_compound_rule() {
        let c = EfficientNetConfig::from_phi(1.0);
        assert!((c.depth - 1.2).abs() < 1e-12 && (c.width - 1.1).abs() < 1e-12);
        assert_eq!(c.resolution, 256); // 224 × 1.15 = 257.6 → multiple of 4
        let c0 = EfficientNetConfig::from_phi(0.0);
        assert_eq!((c0.width, c0.depth, c0.resolution), (1.0, 1.0, 224));
    }
}
