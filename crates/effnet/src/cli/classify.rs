use std::path::{Path, PathBuf};

use burn::tensor::{Device, Tensor, TensorData};

use crate::Variant;
use crate::image_file::read_image;
use crate::model::EfficientNet;
use crate::predict::top_predictions;
use crate::preprocess::Preprocessing;
use crate::weights::{import, web};

#[derive(clap::Args)]
pub struct Args {
    /// Variant (b0…b7, lite0…lite4).
    #[arg(long)]
    variant: String,
    /// Web-format weights from `effnet convert`, or a PyTorch checkpoint.
    #[arg(long)]
    weights: PathBuf,
    /// Key naming, when --weights is a PyTorch checkpoint (default: detect).
    #[arg(long)]
    source: Option<String>,
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
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

/// A loaded network with what is needed to feed it.
struct Classifier {
    model: EfficientNet,
    preprocessing: Preprocessing,
    device: Device,
}

fn load(args: &Args, variant: Variant) -> Result<Classifier, String> {
    let device = Device::default();
    let bytes = std::fs::read(&args.weights)
        .map_err(|e| format!("cannot read {}: {e}", args.weights.display()))?;
    let what = |e: crate::weights::WeightsError| format!("{}: {e}", args.weights.display());
    if let Ok((config, tensors)) = web::decode(&bytes) {
        let (_, model) =
            web::build(config, tensors, Some(variant.name()), &device).map_err(what)?;
        // A converted file records its preprocessing; the manifest beside it says the same.
        let preprocessing = match web::preprocessing(&bytes).map_err(what)? {
            Some(p) => p,
            None => manifest_preprocessing(&args.weights, variant).ok_or_else(|| {
                format!(
                    "{} records no preprocessing and has no manifest.json entry beside it: convert it again with `effnet convert`",
                    args.weights.display()
                )
            })?,
        };
        return Ok(Classifier {
            model,
            preprocessing,
            device,
        });
    }
    let tensors = import::read_checkpoint(&args.weights).map_err(|e| {
        format!(
            "{} is neither web-format weights nor a PyTorch checkpoint ({e})",
            args.weights.display()
        )
    })?;
    let requested = args
        .source
        .as_deref()
        .map(super::parse_source)
        .transpose()?;
    let source = import::source_of(&tensors, requested).map_err(what)?;
    let (padding, bn_eps) = source.numerics(Some(variant), variant.family());
    let mut config = variant.config().with_padding(padding).with_bn_eps(bn_eps);
    if let Some(n) = import::num_classes(&tensors, source) {
        config = config.with_num_classes(n);
    }
    let model = import::load_pytorch(&args.weights, Some(source), &config, &device)
        .map_err(|e| format!("{} does not fit {variant}: {e}", args.weights.display()))?;
    let preprocessing = source.preprocessing(&config, Some(variant));
    Ok(Classifier {
        model,
        preprocessing,
        device,
    })
}

/// The preprocessing recorded for `variant` in a manifest.json beside the weights, if any.
fn manifest_preprocessing(weights: &Path, variant: Variant) -> Option<Preprocessing> {
    let json = std::fs::read_to_string(weights.with_file_name("manifest.json")).ok()?;
    let manifest = crate::weights::manifest::Manifest::parse(&json).ok()?;
    Some(manifest.get(variant.name())?.preprocessing.clone())
}

impl Classifier {
    fn logits(&self, input: Vec<f32>) -> Result<Vec<f32>, String> {
        let size = self.preprocessing.size;
        let x = Tensor::<4>::from_data(TensorData::new(input, [1, 3, size, size]), &self.device);
        self.model
            .forward(x)
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| format!("{e:?}"))
    }
}

pub fn run(args: Args) -> Result<(), String> {
    let variant = super::parse_variant(&args.variant)?;
    let mut classifier = load(&args, variant)?;
    if !args.no_fold {
        classifier.model = classifier.model.for_cpu();
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
            classifier.logits(input)
        });
        let logits = match result {
            Ok(l) => l,
            Err(message) => {
                eprintln!("effnet: error: {message}");
                failures += 1;
                continue;
            }
        };
        let top = top_predictions(&logits, args.top);
        if args.json {
            let line = serde_json::json!({
                "image": path.display().to_string(),
                "variant": variant.name(),
                "top": top,
                "logits": logits,
            });
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
