use std::path::PathBuf;

use burn::tensor::Device;

use crate::weights::import;
use crate::weights::manifest::{Manifest, ManifestEntry, sha256_hex};
use crate::weights::web::{self, Precision};

#[derive(clap::Args)]
pub struct Args {
    /// Key naming of the checkpoint: seed, torchvision, timm, timm-tf, lukemelas (default: detect).
    #[arg(long)]
    source: Option<String>,
    /// Variant the checkpoint is for (b0…b7, lite0…lite4).
    #[arg(long)]
    variant: String,
    /// Storage of conv/linear weights (biases and batch norm always stay f32).
    #[arg(long, default_value = "f16")]
    precision: String,
    /// Store the batch norms as they are (default: folded into the convolutions' weights and
    /// biases, which makes the file smaller and the network faster).
    #[arg(long)]
    no_fold: bool,
    /// Add or replace this file's entry in a manifest.json.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Where the checkpoint came from, for the manifest.
    #[arg(long, default_value = "unknown")]
    origin: String,
    /// Licence of the weights, for the manifest.
    #[arg(long, default_value = "unknown")]
    license: String,
    /// PyTorch checkpoint (.pth / .pt).
    input: PathBuf,
    /// Output file (web format, safetensors layout).
    output: PathBuf,
}

pub fn run(args: Args) -> Result<(), String> {
    let variant = super::parse_variant(&args.variant)?;
    let precision = Precision::parse(&args.precision).ok_or("--precision must be f16 or f32")?;
    let requested = args
        .source
        .as_deref()
        .map(super::parse_source)
        .transpose()?;
    let tensors = import::read_checkpoint(&args.input).map_err(|e| e.to_string())?;
    let source = import::source_of(&tensors, requested).map_err(|e| e.to_string())?;
    let (padding, bn_eps) = source.numerics(Some(variant), variant.family());
    let mut config = variant.config().with_padding(padding).with_bn_eps(bn_eps);
    if let Some(n) = import::num_classes(&tensors, source) {
        config = config.with_num_classes(n);
    }
    let device = Device::default();
    let model = import::load_pytorch(&args.input, Some(source), &config, &device).map_err(|e| {
        format!(
            "{} does not fit {variant} ({} naming): {e}",
            args.input.display(),
            source.name()
        )
    })?;
    let model = if args.no_fold {
        model
    } else {
        model.fold_batch_norms()
    };
    let preprocessing = source.preprocessing(&config, Some(variant));
    let bytes =
        web::encode(&model, &config, precision, Some(&preprocessing)).map_err(|e| e.to_string())?;
    std::fs::write(&args.output, &bytes)
        .map_err(|e| format!("cannot write {}: {e}", args.output.display()))?;

    let file = args
        .output
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let entry = ManifestEntry {
        variant: variant.name().into(),
        file,
        source,
        origin: args.origin,
        license: args.license,
        sha256: sha256_hex(&bytes),
        bytes: bytes.len() as u64,
        precision,
        padding,
        bn_eps,
        num_classes: config.num_classes,
        preprocessing,
    };
    if let Some(path) = &args.manifest {
        let mut manifest = match std::fs::read_to_string(path) {
            Ok(json) => Manifest::parse(&json).map_err(|e| format!("{}: {e}", path.display()))?,
            Err(_) => Manifest::default(),
        };
        manifest.upsert(entry.clone());
        std::fs::write(path, manifest.to_json())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    eprintln!(
        "effnet: {variant} from {} ({} naming) → {} ({} bytes, {:?})",
        args.input.display(),
        source.name(),
        args.output.display(),
        bytes.len(),
        precision
    );
    println!("{}", serde_json::to_string(&entry).expect("serialisable"));
    Ok(())
}
