//! The four PyTorch namings of EfficientNet parameters, mapped onto this crate's module paths.
//!
//! Canonical paths keep PyTorch's leaf names (`weight`, `bias`, `running_mean`, …); burn-store's
//! `PyTorchToBurnAdapter` turns batch-norm `weight`/`bias` into `gamma`/`beta` and transposes
//! linear weights while applying them.

use serde::{Deserialize, Serialize};

use crate::config::{BlockSpec, EfficientNetConfig, Family, Padding, Variant};
use crate::preprocess::{Interpolation, Preprocessing, Resize};

/// Where a checkpoint comes from, which fixes its key naming and its numerics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The seed's reference code: `features.stem_conv.0.weight`, `features.2a.block.dwconv.0.weight`.
    Seed,
    /// torchvision: `features.0.0.weight`, `features.2.0.block.1.0.weight`.
    Torchvision,
    /// timm's PyTorch-trained models: `conv_stem.weight`, `blocks.1.0.conv_dw.weight`.
    Timm,
    /// timm's `tf_` models ported from TensorFlow: timm keys, TF-SAME padding, eps 1e-3.
    TimmTf,
    /// lukemelas' efficientnet_pytorch (and the Lite weight packages): `_blocks.3._depthwise_conv.weight`.
    Lukemelas,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::Seed,
        Source::Torchvision,
        Source::Timm,
        Source::TimmTf,
        Source::Lukemelas,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Source::Seed => "seed",
            Source::Torchvision => "torchvision",
            Source::Timm => "timm",
            Source::TimmTf => "timm-tf",
            Source::Lukemelas => "lukemelas",
        }
    }

    pub fn parse(name: &str) -> Option<Source> {
        Source::ALL
            .into_iter()
            .find(|s| s.name() == name.trim().to_ascii_lowercase())
    }

    /// Guesses the naming from a checkpoint's keys (timm and timm-tf share keys: timm is returned).
    pub fn detect<'a>(keys: impl IntoIterator<Item = &'a str>) -> Option<Source> {
        keys.into_iter().find_map(|k| match k {
            "features.stem_conv.0.weight" => Some(Source::Seed),
            "features.0.0.weight" => Some(Source::Torchvision),
            "conv_stem.weight" => Some(Source::Timm),
            "_conv_stem.weight" => Some(Source::Lukemelas),
            _ => None,
        })
    }

    /// The source a preset's weights usually come from (torchvision for B0–B7, the
    /// lukemelas-named Lite packages for Lite0–4): what a preset without weights is fed like.
    pub fn usual_for(variant: Variant) -> Source {
        match variant.family() {
            Family::B => Source::Torchvision,
            Family::Lite => Source::Lukemelas,
        }
    }

    /// The preprocessing of `variant` with weights from its [usual source](Source::usual_for).
    pub fn preset_preprocessing(variant: Variant) -> Preprocessing {
        Source::usual_for(variant).preprocessing(&variant.config(), Some(variant))
    }

    /// Padding and batch-norm epsilon of weights from this source for `variant`.
    pub fn numerics(self, variant: Option<Variant>, family: Family) -> (Padding, f64) {
        match self {
            Source::Seed => (Padding::Symmetric, 1e-3),
            Source::Torchvision => {
                let big = matches!(variant, Some(Variant::B5 | Variant::B6 | Variant::B7));
                (Padding::Symmetric, if big { 1e-3 } else { 1e-5 })
            }
            Source::Timm if family == Family::B => (Padding::Symmetric, 1e-5),
            Source::Timm | Source::TimmTf | Source::Lukemelas => (Padding::TfSame, 1e-3),
        }
    }

    /// The evaluation preprocessing that goes with weights from this source.
    pub fn preprocessing(
        self,
        config: &EfficientNetConfig,
        variant: Option<Variant>,
    ) -> Preprocessing {
        let res = config.resolution;
        let scaled = (res as f64 / 0.875).floor() as usize;
        match (self, config.family) {
            (_, Family::Lite) => Preprocessing::lite(res),
            (Source::Torchvision, _) => {
                let (size, resize, interp) = match variant {
                    Some(Variant::B0) => (224, 256, Interpolation::Bicubic),
                    Some(Variant::B1) => (240, 255, Interpolation::Bilinear),
                    Some(Variant::B2) => (288, 288, Interpolation::Bicubic),
                    Some(Variant::B3) => (300, 320, Interpolation::Bicubic),
                    Some(Variant::B4) => (380, 384, Interpolation::Bicubic),
                    Some(Variant::B5) => (456, 456, Interpolation::Bicubic),
                    Some(Variant::B6) => (528, 528, Interpolation::Bicubic),
                    Some(Variant::B7) => (600, 600, Interpolation::Bicubic),
                    _ => (res, scaled, Interpolation::Bicubic),
                };
                Preprocessing::imagenet(size, resize, interp)
            }
            (Source::Lukemelas, _) => Preprocessing {
                resize: Resize::CentreCropThenResize { pad: 32 },
                ..Preprocessing::imagenet(res, res, Interpolation::Bicubic)
            },
            _ => Preprocessing::imagenet(res, scaled, Interpolation::Bicubic),
        }
    }

    /// Maps one checkpoint key to this crate's path. `Ok(None)`: a key to ignore
    /// (`num_batches_tracked`); `Err(UnknownKey)`: a key this naming does not have.
    pub fn canonical(self, key: &str, blocks: &[BlockSpec]) -> Result<Option<String>, UnknownKey> {
        if key.ends_with("num_batches_tracked") {
            return Ok(None);
        }
        let mapped = match self {
            Source::Seed => seed(key, blocks),
            Source::Torchvision => torchvision(key, blocks),
            Source::Timm | Source::TimmTf => timm(key, blocks),
            Source::Lukemelas => lukemelas(key, blocks),
        };
        mapped.map(Some).ok_or(UnknownKey)
    }
}

/// A checkpoint key that the chosen naming does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownKey;

/// `0` → `conv`, `1` → `bn` (a `Conv2d`/`BatchNorm2d` pair in an `nn.Sequential`).
fn conv_bn(index: &str, leaf: &str) -> Option<String> {
    match index {
        "0" => Some(format!("conv.{leaf}")),
        "1" => Some(format!("bn.{leaf}")),
        _ => None,
    }
}

fn block_index(blocks: &[BlockSpec], stage: usize, j: usize) -> Option<usize> {
    blocks
        .iter()
        .position(|b| b.stage == stage && b.index_in_stage == j)
}

/// Splits `prefix.rest` on the first dot.
fn head(s: &str) -> (&str, &str) {
    s.split_once('.').unwrap_or((s, ""))
}

fn seed(key: &str, blocks: &[BlockSpec]) -> Option<String> {
    if let Some(rest) = key.strip_prefix("classifier.") {
        let (i, leaf) = head(rest);
        return matches!(i, "0" | "1").then(|| format!("classifier.{leaf}"));
    }
    let rest = key.strip_prefix("features.")?;
    let (name, rest) = head(rest);
    match name {
        "stem_conv" | "top" => {
            let (i, leaf) = head(rest);
            let module = if name == "top" { "head" } else { "stem" };
            Some(format!("{module}.{}", conv_bn(i, leaf)?))
        }
        label => {
            let b = blocks.iter().position(|b| b.label() == label)?;
            let (layer, rest) = head(rest.strip_prefix("block.")?);
            let inner = match layer {
                "expand_conv" | "dwconv" | "project_conv" => {
                    let (i, leaf) = head(rest);
                    let m = match layer {
                        "expand_conv" => "expand",
                        "dwconv" => "depthwise",
                        _ => "project",
                    };
                    format!("{m}.{}", conv_bn(i, leaf)?)
                }
                "se" => {
                    let (fc, leaf) = head(rest);
                    let m = match fc {
                        "fc1" => "reduce",
                        "fc2" => "expand",
                        _ => return None,
                    };
                    format!("se.{m}.{leaf}")
                }
                _ => return None,
            };
            Some(format!("blocks.{b}.{inner}"))
        }
    }
}

fn torchvision(key: &str, blocks: &[BlockSpec]) -> Option<String> {
    if let Some(rest) = key.strip_prefix("classifier.1.") {
        return Some(format!("classifier.{rest}"));
    }
    let (stage, rest) = head(key.strip_prefix("features.")?);
    let stage: usize = stage.parse().ok()?;
    if stage == 0 || stage == 8 {
        let (i, leaf) = head(rest);
        return Some(format!(
            "{}.{}",
            if stage == 0 { "stem" } else { "head" },
            conv_bn(i, leaf)?
        ));
    }
    let (j, rest) = head(rest);
    let b = block_index(blocks, stage, j.parse().ok()?)?;
    let (layer, rest) = head(rest.strip_prefix("block.")?);
    let layer: usize = layer.parse().ok()?;
    let offset = usize::from(blocks[b].expand_ratio == 1);
    let inner = match layer + offset {
        0 => format!("expand.{}", conv_bn(head(rest).0, head(rest).1)?),
        1 => format!("depthwise.{}", conv_bn(head(rest).0, head(rest).1)?),
        2 => {
            let (fc, leaf) = head(rest);
            match fc {
                "fc1" => format!("se.reduce.{leaf}"),
                "fc2" => format!("se.expand.{leaf}"),
                _ => return None,
            }
        }
        3 => format!("project.{}", conv_bn(head(rest).0, head(rest).1)?),
        _ => return None,
    };
    Some(format!("blocks.{b}.{inner}"))
}

fn timm(key: &str, blocks: &[BlockSpec]) -> Option<String> {
    let (first, rest) = head(key);
    match first {
        "conv_stem" => return Some(format!("stem.conv.{rest}")),
        "bn1" => return Some(format!("stem.bn.{rest}")),
        "conv_head" => return Some(format!("head.conv.{rest}")),
        "bn2" => return Some(format!("head.bn.{rest}")),
        "classifier" => return Some(format!("classifier.{rest}")),
        "blocks" => {}
        _ => return None,
    }
    let (stage, rest) = head(rest);
    let (j, rest) = head(rest);
    let b = block_index(blocks, stage.parse::<usize>().ok()? + 1, j.parse().ok()?)?;
    let (layer, leaf) = head(rest);
    let expands = blocks[b].expand_ratio != 1;
    let inner = match (layer, expands) {
        ("conv_pw", true) => "expand.conv",
        ("bn1", true) => "expand.bn",
        ("conv_dw", _) => "depthwise.conv",
        ("bn2", true) | ("bn1", false) => "depthwise.bn",
        ("se", _) => {
            let (conv, leaf) = head(leaf);
            let m = match conv {
                "conv_reduce" => "reduce",
                "conv_expand" => "expand",
                _ => return None,
            };
            return Some(format!("blocks.{b}.se.{m}.{leaf}"));
        }
        ("conv_pwl", true) | ("conv_pw", false) => "project.conv",
        ("bn3", true) | ("bn2", false) => "project.bn",
        _ => return None,
    };
    Some(format!("blocks.{b}.{inner}.{leaf}"))
}

fn lukemelas(key: &str, blocks: &[BlockSpec]) -> Option<String> {
    let (first, rest) = head(key);
    match first {
        "_conv_stem" => return Some(format!("stem.conv.{rest}")),
        "_bn0" => return Some(format!("stem.bn.{rest}")),
        "_conv_head" => return Some(format!("head.conv.{rest}")),
        "_bn1" => return Some(format!("head.bn.{rest}")),
        "_fc" => return Some(format!("classifier.{rest}")),
        "_blocks" => {}
        _ => return None,
    }
    let (b, rest) = head(rest);
    let b: usize = b.parse().ok()?;
    if b >= blocks.len() {
        // Keep the key recognisable so the error says "unexpected", not "unknown naming".
        return Some(format!("blocks.{b}.{rest}"));
    }
    let (layer, leaf) = head(rest);
    let inner = match layer {
        "_expand_conv" => "expand.conv",
        "_bn0" => "expand.bn",
        "_depthwise_conv" => "depthwise.conv",
        "_bn1" => "depthwise.bn",
        "_se_reduce" => "se.reduce",
        "_se_expand" => "se.expand",
        "_project_conv" => "project.conv",
        "_bn2" => "project.bn",
        _ => return None,
    };
    Some(format!("blocks.{b}.{inner}.{leaf}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_fed_like_their_usual_weights() {
        assert_eq!(Source::usual_for(Variant::B3), Source::Torchvision);
        assert_eq!(Source::usual_for(Variant::Lite4), Source::Lukemelas);
        assert_eq!(
            Source::preset_preprocessing(Variant::B0),
            Preprocessing::imagenet(224, 256, Interpolation::Bicubic)
        );
        assert_eq!(
            Source::preset_preprocessing(Variant::B1).interpolation,
            Interpolation::Bilinear
        );
        assert_eq!(
            Source::preset_preprocessing(Variant::Lite3),
            Preprocessing::lite(280)
        );
    }

    fn map(source: Source, key: &str) -> Option<String> {
        source
            .canonical(key, &Variant::B0.config().blocks())
            .unwrap()
    }

    #[test]
    fn the_same_parameter_in_every_naming() {
        let expected = Some("blocks.1.depthwise.conv.weight".to_string());
        assert_eq!(
            map(Source::Seed, "features.2a.block.dwconv.0.weight"),
            expected
        );
        assert_eq!(
            map(Source::Torchvision, "features.2.0.block.1.0.weight"),
            expected
        );
        assert_eq!(map(Source::Timm, "blocks.1.0.conv_dw.weight"), expected);
        assert_eq!(
            map(Source::Lukemelas, "_blocks.1._depthwise_conv.weight"),
            expected
        );
    }

    #[test]
    fn blocks_without_expansion_shift_their_layers() {
        let expected = Some("blocks.0.project.bn.running_var".to_string());
        assert_eq!(
            map(Source::Torchvision, "features.1.0.block.2.1.running_var"),
            expected
        );
        assert_eq!(map(Source::Timm, "blocks.0.0.bn2.running_var"), expected);
        assert_eq!(
            map(Source::Seed, "features.1a.block.project_conv.1.running_var"),
            expected
        );
        assert_eq!(
            map(Source::Timm, "blocks.0.0.conv_pw.weight"),
            Some("blocks.0.project.conv.weight".into())
        );
    }

    #[test]
    fn stem_head_classifier_and_ignored_keys() {
        assert_eq!(
            map(Source::Seed, "features.top.1.weight"),
            Some("head.bn.weight".into())
        );
        assert_eq!(
            map(Source::Torchvision, "features.8.0.weight"),
            Some("head.conv.weight".into())
        );
        assert_eq!(
            map(Source::Lukemelas, "_fc.bias"),
            Some("classifier.bias".into())
        );
        assert_eq!(map(Source::Timm, "bn1.num_batches_tracked"), None);
        let blocks = Variant::B0.config().blocks();
        assert!(
            Source::Seed
                .canonical("features.9z.block.dwconv.0.weight", &blocks)
                .is_err()
        );
        assert!(Source::Timm.canonical("fc.weight", &blocks).is_err());
    }

    #[test]
    fn detect_naming_from_keys() {
        assert_eq!(
            Source::detect(["x", "_conv_stem.weight"]),
            Some(Source::Lukemelas)
        );
        assert_eq!(
            Source::detect(["features.0.0.weight"]),
            Some(Source::Torchvision)
        );
        assert_eq!(Source::detect(["nothing"]), None);
        assert_eq!(Source::parse("timm-tf"), Some(Source::TimmTf));
    }
}
