use std::time::Instant;

use burn::tensor::{DType, Device, Distribution, Tensor};

use crate::Variant;

#[derive(clap::Args)]
pub struct Args {
    /// Comma-separated variants (default: all).
    #[arg(long)]
    variants: Option<String>,
    /// Timed runs after one warm-up.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Print one JSON object per variant.
    #[arg(long)]
    json: bool,
    /// Time the network as imported: batch norms as separate operations and SiLU as
    /// x·sigmoid(x) (default: as `classify` runs it, `EfficientNet::for_cpu`).
    #[arg(long)]
    no_fold: bool,
    /// Time the folded network with burn's operations only, without the Flex kernels for
    /// depthwise convolutions and activations (`model::flex_kernels`).
    #[arg(long)]
    no_kernels: bool,
    /// Where to run: `cpu` (burn's Flex backend) or `wgpu` (burn's wgpu runtime on the
    /// machine's GPU through Vulkan, the network set up as the page runs it on WebGPU; needs a
    /// build with the `cube` feature).
    #[arg(long, default_value = "cpu")]
    device: String,
    /// The float type the network computes in: `f32`, or `f16` where the device has it (on
    /// wgpu: an adapter with shader-f16). Images go in and logits come out in f32 either way.
    #[arg(long, default_value = "f32")]
    dtype: String,
    /// Time the pooled features (`EfficientNet::pooled_features`, what `teach` extracts)
    /// instead of the logits.
    #[arg(long)]
    features: bool,
    /// Comma-separated batch sizes, each timed in turn (images per pass; images/s compares
    /// them).
    #[arg(long, default_value = "1")]
    batch: String,
    /// Time training a head instead (`teach::Teaching`, the default settings: 50 epochs,
    /// batch 16): this many examples of random features of each variant's width, in 10
    /// classes, on the CPU backend.
    #[arg(long)]
    train: Option<usize>,
}

/// Times teaching a head on `examples` rows of random features `dim` wide, 10 classes.
fn time_training(variant: Variant, examples: usize, json: bool) -> Result<(), String> {
    use crate::teach::rng::SplitMix64;
    use crate::teach::{Backbone, Teaching, TrainSettings};
    let dim = variant.config().head_channels();
    let classes: Vec<String> = (0..10).map(|c| format!("class {c}")).collect();
    let labels: Vec<usize> = (0..examples).map(|i| i % 10).collect();
    let mut rng = SplitMix64::new(1);
    let features: Vec<f32> = (0..examples * dim)
        .map(|i| {
            // Dimension d carries class d mod 10 a little more strongly.
            let signal = labels[i / dim] == (i % dim) % 10;
            (rng.unit() * 3.0) as f32 + f32::from(u8::from(signal))
        })
        .collect();
    let settings = TrainSettings::default();
    let start = Instant::now();
    let device = Device::flex();
    let mut teaching = Teaching::new(classes, &features, dim, labels, settings.clone(), &device)
        .map_err(|e| e.to_string())?;
    let setup = start.elapsed().as_secs_f64();
    let mut epochs = Vec::new();
    while !teaching.is_done() {
        let t = Instant::now();
        teaching.epoch().map_err(|e| e.to_string())?;
        epochs.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let backbone = Backbone {
        variant: variant.name().into(),
        weights_sha256: String::new(),
    };
    let preprocessing = crate::preprocess::Preprocessing::lite(variant.config().resolution);
    let (_, report) = teaching
        .finish(backbone, preprocessing)
        .map_err(|e| e.to_string())?;
    let total = start.elapsed().as_secs_f64();
    let median = crate::stats::median(&epochs).unwrap_or(0.0);
    if json {
        println!(
            "{}",
            serde_json::json!({"variant": variant.name(), "train_examples": examples, "features": dim, "classes": 10, "epochs": settings.epochs, "batch_size": settings.batch_size, "setup_s": setup, "epoch_median_ms": median, "total_s": total, "accuracy": report.head.accuracy})
        );
    } else {
        println!(
            "{:<6} {examples} examples × {dim} features, 10 classes: {} epochs in {total:.2} s (epoch median {median:.1} ms, set-up {setup:.2} s)",
            variant.name(),
            settings.epochs
        );
    }
    Ok(())
}

/// The device to time on, and what it is (the GPU adapter's name for `wgpu`).
fn device(name: &str) -> Result<(Device, String), String> {
    match name {
        "cpu" => Ok((Device::flex(), "cpu (burn Flex)".into())),
        #[cfg(feature = "cube")]
        "wgpu" => {
            let (device, setup) = Device::wgpu_options()
                .init_with_setup()
                .map_err(|e| format!("no wgpu adapter: {e:?}"))?;
            let info = setup.adapter.get_info();
            let adapter = format!(
                "{} ({:?}, {:?}, driver {} {})",
                info.name, info.device_type, setup.backend, info.driver, info.driver_info
            );
            Ok((device, adapter))
        }
        #[cfg(not(feature = "cube"))]
        "wgpu" => Err(
            "this effnet was built without the `cube` feature, so it has no wgpu \
             device: cargo build --release --bin effnet --features cube"
                .into(),
        ),
        other => Err(format!("unknown device '{other}' (expected cpu or wgpu)")),
    }
}

pub fn run(args: Args) -> Result<(), String> {
    let variants = match &args.variants {
        Some(list) => list
            .split(',')
            .map(super::parse_variant)
            .collect::<Result<Vec<_>, _>>()?,
        None => Variant::ALL.to_vec(),
    };
    let batches = args
        .batch
        .split(',')
        .map(|b| match b.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("bad batch size '{b}' (expected e.g. 1,4,8)")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(examples) = args.train {
        for v in variants {
            time_training(v, examples, args.json)?;
        }
        return Ok(());
    }
    let output = if args.features { "features" } else { "logits" };
    let (device, adapter) = device(&args.device)?;
    let gpu = args.device != "cpu";
    let dtype = match args.dtype.as_str() {
        "f32" => DType::F32,
        "f16" if device.supports_dtype(DType::F16) => DType::F16,
        "f16" => return Err(format!("{adapter} does not compute in f16")),
        other => return Err(format!("unknown dtype '{other}' (expected f32 or f16)")),
    };
    if !args.json {
        println!(
            "device: {adapter}, computing in {}, timing the {output}",
            args.dtype
        );
    }
    for v in variants {
        let config = v.config();
        let model = config.init(&device);
        let model = match (args.no_fold, args.no_kernels, gpu) {
            (true, _, _) => model,
            (false, true, _) => model.fold_batch_norms().with_exp_silu(),
            #[cfg(feature = "cube")]
            (false, false, true) => model.for_gpu(),
            (false, false, _) => model.for_cpu(),
        };
        let model = model.with_dtype(dtype);
        let r = config.resolution;
        for &batch in &batches {
            let input =
                Tensor::<4>::random([batch, 3, r, r], Distribution::Normal(0.0, 1.0), &device);
            let time = || {
                let start = Instant::now();
                let out = if args.features {
                    model.pooled_features(input.clone()).into_data()
                } else {
                    model.forward(input.clone()).into_data()
                };
                std::hint::black_box(out);
                start.elapsed().as_secs_f64() * 1e3
            };
            let cold = time();
            let warm: Vec<f64> = (0..args.runs.max(1)).map(|_| time()).collect();
            let median = crate::stats::median(&warm).unwrap_or(cold);
            let images_per_s = batch as f64 / (median / 1e3);
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({"variant": v.name(), "resolution": r, "device": args.device, "adapter": adapter, "dtype": args.dtype, "output": output, "batch": batch, "cold_ms": cold, "warm_median_ms": median, "warm_ms": warm, "images_per_s": images_per_s})
                );
            } else {
                println!(
                    "{:<6} {:>4}px  batch {:>3}  cold {:>9.1} ms  warm median {:>9.1} ms  {:>7.2} images/s",
                    v.name(),
                    r,
                    batch,
                    cold,
                    median,
                    images_per_s
                );
            }
        }
    }
    Ok(())
}
