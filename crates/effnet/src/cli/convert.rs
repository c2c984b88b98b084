use std::path::PathBuf;

use burn::tensor::Device;

use crate::weights::import;
use crate::weights::manifest::{Manifest, ManifestEntry, WeightsFormat};
use crate::weights::web::{self, Precision};

#[derive(clap::Args)]
pub struct Args {
    /// Key naming of the checkpoint: seed, torchvision, timm, timm-tf, lukemelas (default: detect).
    #[arg(long)]
    source: Option<String>,
    /// Variant the checkpoint is for (b0…b7, lite0…lite4).
    #[arg(long)]
    variant: String,
    /// Storage of conv/linear weights: f16, f32 or q8 (int8 with a scale per output channel;
    /// the stem's and depthwise weights f16). Biases and batch norms always stay f32.
    #[arg(long, default_value = "f16")]
    precision: String,
    /// Cut a file bigger than this many MiB into shards of at most this size, written beside
    /// OUTPUT as `<name>-<i>of<n>.shard` and listed in the manifest (OUTPUT itself is then not
    /// written). 0: one file.
    #[arg(long, default_value_t = 0)]
    shard_mib: usize,
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
    let precision =
        Precision::parse(&args.precision).ok_or("--precision must be f16, f32 or q8")?;
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
    let file = args
        .output
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .ok_or("the output needs a file name")?;
    let max_shard = (args.shard_mib > 0).then_some(args.shard_mib << 20);
    let (format, pieces) = WeightsFormat::cut(precision, &file, &bytes, max_shard);
    let write = |path: &std::path::Path, bytes: &[u8]| {
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    if pieces.is_empty() {
        write(&args.output, &bytes)?;
    } else {
        for (shard, piece) in format.shards.iter().zip(&pieces) {
            write(&args.output.with_file_name(&shard.file), piece)?;
        }
    }

    let mut entry = ManifestEntry {
        variant: variant.name().into(),
        file,
        source,
        origin: args.origin,
        license: args.license,
        sha256: format.sha256.clone(),
        bytes: format.bytes,
        precision,
        padding,
        bn_eps,
        num_classes: config.num_classes,
        preprocessing,
        formats: Vec::new(),
    };
    if let Some(path) = &args.manifest {
        let mut manifest = match std::fs::read_to_string(path) {
            Ok(json) => Manifest::parse(&json).map_err(|e| format!("{}: {e}", path.display()))?,
            Err(_) => Manifest::default(),
        };
        // The entry's own file (what pages before shards load) is the one-file format it had:
        // another precision, or shards, are added beside it.
        match manifest.get(variant.name()) {
            Some(old) if old.precision == precision && pieces.is_empty() => {
                entry.formats = old.formats.clone();
                entry.add_format(format.clone());
            }
            Some(old) => {
                entry = old.clone();
                entry.add_format(format.clone());
            }
            None if !pieces.is_empty() => entry.add_format(format.clone()),
            None => {}
        }
        manifest.upsert(entry.clone());
        write(path, manifest.to_json().as_bytes())?;
    }
    eprintln!(
        "effnet: {variant} from {} ({} naming) → {} ({} bytes, {precision}{})",
        args.input.display(),
        source.name(),
        args.output.display(),
        bytes.len(),
        if pieces.is_empty() {
            String::new()
        } else {
            format!(", {} shards", pieces.len())
        }
    );
    println!("{}", serde_json::to_string(&entry).expect("serialisable"));
    Ok(())
}
