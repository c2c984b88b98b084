use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};

use crate::Variant;
use crate::image_file::read_image;
use crate::model::EfficientNet;
use crate::predict::{Prediction, top_k, top_predictions};
use crate::preprocess::Preprocessing;
use crate::teach::{Backbone, Head};
use crate::weights::manifest::sha256_hex;
use crate::weights::{import, web};

/// Which network, from which file: what `classify`, `teach` and `evaluate` take.
#[derive(clap::Args)]
pub(super) struct Network {
    /// Variant (b0…b7, lite0…lite4).
    #[arg(long)]
    pub variant: String,
    /// Web-format weights from `effnet convert`, or a PyTorch checkpoint.
    #[arg(long)]
    pub weights: PathBuf,
    /// Key naming, when --weights is a PyTorch checkpoint (default: detect).
    #[arg(long)]
    pub source: Option<String>,
}

impl Network {
    /// The variant and its network loaded from the weights.
    pub fn load(&self) -> Result<(Variant, Classifier), String> {
        let variant = super::parse_variant(&self.variant)?;
        Ok((
            variant,
            load(&self.weights, self.source.as_deref(), variant)?,
        ))
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    network: Network,
    /// How many classes to show.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// One JSON object per image: variant, top (index, label, prob) and all logits.
    #[arg(long)]
    json: bool,
    /// Run the network as imported (default: `EfficientNet::for_cpu`: batch norms folded into
    /// the convolutions, SiLU as x / (1 + e^−x), the Flex kernels: the same function up to float
    /// rounding, faster).
    #[arg(long)]
    no_fold: bool,
    /// The image is already the input size: only normalise it (exact comparisons).
    #[arg(long)]
    no_resize: bool,
    /// A head from `effnet teach` (trained on these weights): classify into its classes, with
    /// its class names as the labels; `logits` are then the head's.
    #[arg(long)]
    head: Option<PathBuf>,
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

/// A loaded network with what is needed to feed it.
pub(super) struct Classifier {
    pub model: EfficientNet,
    pub preprocessing: Preprocessing,
    device: Device,
    /// What the network is: its variant and the sha256 of its weights file.
    pub backbone: Backbone,
}

/// Loads `variant` from `weights` (web format, or a PyTorch checkpoint in the naming `source`
/// names or, without it, the one detected).
fn load(weights: &Path, source: Option<&str>, variant: Variant) -> Result<Classifier, String> {
    let device = Device::default();
    let bytes = read_weights(weights)?;
    let backbone = Backbone {
        variant: variant.name().to_string(),
        weights_sha256: sha256_hex(&bytes),
    };
    let what = |e: crate::weights::WeightsError| format!("{}: {e}", weights.display());
    if let Ok((config, tensors)) = web::decode(&bytes) {
        let (_, model) =
            web::build(config, tensors, Some(variant.name()), &device).map_err(what)?;
        // A converted file records its preprocessing; the manifest beside it says the same.
        let preprocessing = match web::preprocessing(&bytes).map_err(what)? {
            Some(p) => p,
            None => manifest_preprocessing(weights, variant).ok_or_else(|| {
                format!(
                    "{} records no preprocessing and has no manifest.json entry beside it: convert it again with `effnet convert`",
                    weights.display()
                )
            })?,
        };
        return Ok(Classifier {
            model,
            preprocessing,
            device,
            backbone,
        });
    }
    let tensors = import::read_checkpoint(weights).map_err(|e| {
        format!(
            "{} is neither web-format weights nor a PyTorch checkpoint ({e})",
            weights.display()
        )
    })?;
    let requested = source.map(super::parse_source).transpose()?;
    let source = import::source_of(&tensors, requested).map_err(what)?;
    let (padding, bn_eps) = source.numerics(Some(variant), variant.family());
    let mut config = variant.config().with_padding(padding).with_bn_eps(bn_eps);
    if let Some(n) = import::num_classes(&tensors, source) {
        config = config.with_num_classes(n);
    }
    let model = import::load_pytorch(weights, Some(source), &config, &device)
        .map_err(|e| format!("{} does not fit {variant}: {e}", weights.display()))?;
    let preprocessing = source.preprocessing(&config, Some(variant));
    Ok(Classifier {
        model,
        preprocessing,
        device,
        backbone,
    })
}

/// A weights file's bytes: the file, or, where it is stored in shards (`effnet convert
/// --shard-mib`), its shards as the manifest.json beside it lists them, each checked.
pub(super) fn read_weights(path: &Path) -> Result<Vec<u8>, String> {
    let error = match std::fs::read(path) {
        Ok(bytes) => return Ok(bytes),
        Err(e) => format!("cannot read {}: {e}", path.display()),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let manifest = std::fs::read_to_string(path.with_file_name("manifest.json"))
        .ok()
        .and_then(|json| crate::weights::manifest::Manifest::parse(&json).ok());
    let Some(format) = name.and_then(|name| {
        let manifest = manifest?;
        let (_, format) = manifest.format_named(&name)?;
        (!format.shards.is_empty()).then(|| format.clone())
    }) else {
        return Err(error);
    };
    format
        .assemble(|file| std::fs::read(path.with_file_name(file)).map_err(|e| e.to_string()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The preprocessing recorded for `variant` in a manifest.json beside the weights, if any.
fn manifest_preprocessing(weights: &Path, variant: Variant) -> Option<Preprocessing> {
    let json = std::fs::read_to_string(weights.with_file_name("manifest.json")).ok()?;
    let manifest = crate::weights::manifest::Manifest::parse(&json).ok()?;
    Some(manifest.get(variant.name())?.preprocessing.clone())
}

impl Classifier {
    /// A batch of preprocessed images (each `3 × size × size` values, one after another).
    fn batch(&self, inputs: Vec<f32>) -> Tensor<4> {
        let size = self.preprocessing.size;
        let n = inputs.len() / (3 * size * size);
        Tensor::<4>::from_data(TensorData::new(inputs, [n, 3, size, size]), &self.device)
    }

    /// The logits of a batch of preprocessed images, image after image.
    pub fn logits(&self, inputs: Vec<f32>) -> Result<Vec<f32>, String> {
        read(self.model.forward(self.batch(inputs)))
    }

    /// The pooled features of a batch of preprocessed images, image after image.
    pub fn features(&self, inputs: Vec<f32>) -> Result<Vec<f32>, String> {
        read(self.model.pooled_features(self.batch(inputs)))
    }
}

fn read(t: Tensor<2>) -> Result<Vec<f32>, String> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| format!("{e:?}"))
}

/// Reads a head file for `classifier`'s backbone; any problem is one line.
pub(super) fn read_head(path: &Path, classifier: &Classifier) -> Result<Head, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Head::decode_for(&bytes, &classifier.backbone).map_err(|e| format!("{}: {e}", path.display()))
}

/// The `k` most probable of a head's classes for one image's features, and its logits.
fn head_predictions(
    head: &Head,
    features: &[f32],
    k: usize,
) -> Result<(Vec<Prediction>, Vec<f32>), String> {
    let logits = head.logits(features).map_err(|e| e.to_string())?;
    let probs = crate::predict::softmax(&logits);
    let top = top_k(&probs, k)
        .into_iter()
        .map(|index| Prediction {
            index,
            label: head.classes[index].clone(),
            prob: probs[index],
        })
        .collect();
    Ok((top, logits))
}

pub fn run(args: Args) -> Result<(), String> {
    let (variant, mut classifier) = args.network.load()?;
    if !args.no_fold {
        classifier.model = classifier.model.for_cpu();
    }
    let head = args
        .head
        .as_deref()
        .map(|path| read_head(path, &classifier))
        .transpose()?;
    if let Some(head) = &head {
        // The images are prepared as they were for teaching.
        classifier.preprocessing = head.preprocessing.clone();
    }
    let mut failures = 0;
    for path in &args.images {
        let result = read_image(path).and_then(|img| {
            let input = if args.no_resize {
                classifier
                    .preprocessing
                    .normalize(&img)
                    .map_err(|e| format!("{}: {e}", path.display()))?
            } else {
                classifier.preprocessing.apply(&img).0
            };
            match &head {
                None => classifier
                    .logits(input)
                    .map(|logits| (top_predictions(&logits, args.top), logits)),
                Some(head) => head_predictions(head, &classifier.features(input)?, args.top),
            }
        });
        let (top, logits) = match result {
            Ok(r) => r,
            Err(message) => {
                eprintln!("effnet: error: {message}");
                failures += 1;
                continue;
            }
        };
        if args.json {
            let mut line = serde_json::json!({
                "image": path.display().to_string(),
                "variant": variant.name(),
                "top": top,
                "logits": logits,
            });
            if let Some(path) = &args.head {
                line["head"] = path.display().to_string().into();
            }
            println!("{line}");
        } else {
            println!("{} ({variant}):", path.display());
            for t in &top {
                println!("  {:>6.2}%  {}", t.prob * 100.0, t.label);
            }
        }
    }
    match failures {
        0 => Ok(()),
        n => Err(format!(
            "{n} of {} image(s) could not be classified",
            args.images.len()
        )),
    }
}
