use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::Device;
use serde_json::json;

use super::classify::{Classifier, Network};
use super::folders::{self, ClassFolder};
use crate::teach::{Metrics, Teaching, TrainSettings};

#[derive(clap::Args)]
pub struct Args {
    /// The backbone.
    #[command(flatten)]
    network: Network,
    /// Where to write the head (safetensors).
    #[arg(long)]
    out: PathBuf,
    /// Print one JSON object: held-out scores, split, losses, classes.
    #[arg(long)]
    json: bool,
    /// Seeds the split, the initial head and the shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value_t = 50)]
    epochs: usize,
    /// Examples per optimiser step.
    #[arg(long, default_value_t = 16)]
    batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.001)]
    learning_rate: f64,
    /// L2 regularisation of the head's weight: l2 × Σ weight² added to the loss.
    #[arg(long, default_value_t = 0.001)]
    l2: f64,
    /// Share of each class held out for validation (a class of one image: none).
    #[arg(long, default_value_t = 0.15)]
    validation: f64,
    /// Images per pass through the backbone. On the CPU backend more than one is no faster
    /// (docs/bench-teach.md: batch 8 gives 0.75× the images/s of batch 1).
    #[arg(long, default_value_t = 1)]
    feature_batch: usize,
    /// A folder with one sub-folder of images per class (classes sorted by name).
    dir: PathBuf,
}

/// The class folders, refused when fewer than two or one is empty.
fn classes(args: &Args) -> Result<Vec<ClassFolder>, String> {
    let folders = folders::class_folders(&args.dir)?;
    if folders.len() < 2 {
        return Err(format!(
            "{} has {} class folder(s): teaching needs at least 2 (one sub-folder of images per class)",
            args.dir.display(),
            folders.len()
        ));
    }
    if let Some(empty) = folders.iter().find(|f| f.files.is_empty()) {
        return Err(format!(
            "class '{}' ({}) is empty: every class needs at least one image",
            empty.name,
            args.dir.join(&empty.name).display()
        ));
    }
    Ok(folders)
}

fn per_class_json(names: &[String], metrics: &Metrics) -> serde_json::Value {
    names
        .iter()
        .zip(&metrics.per_class)
        .map(|(name, c)| {
            json!({"class": name, "precision": c.precision, "recall": c.recall, "support": c.support})
        })
        .collect()
}

pub fn run(args: Args) -> Result<(), String> {
    let settings = TrainSettings {
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        l2: args.l2,
        validation: args.validation,
        seed: args.seed,
        ..TrainSettings::default()
    };
    settings.check().map_err(|e| e.to_string())?;
    let folders = classes(&args)?;
    let (variant, mut classifier) = args.network.load()?;
    classifier.model = classifier.model.for_cpu();

    let start = Instant::now();
    let ran = folders::run_images(
        &folders,
        &classifier,
        args.feature_batch,
        Classifier::features,
    )?;
    let feature_seconds = start.elapsed().as_secs_f64();
    let names: Vec<String> = folders.iter().map(|f| f.name.clone()).collect();
    for (class, folder) in folders.iter().enumerate() {
        if !ran.examples.iter().any(|(c, _)| *c == class) {
            return Err(format!(
                "class '{}' has no readable image ({} file(s) skipped): every class needs at least one",
                folder.name,
                folder.files.len()
            ));
        }
    }
    let labels: Vec<usize> = ran.examples.iter().map(|(c, _)| *c).collect();
    let dim = ran.rows.len() / labels.len();

    let start = Instant::now();
    let device = Device::default();
    let mut teaching = Teaching::new(
        names.clone(),
        &ran.rows,
        dim,
        labels,
        settings.clone(),
        &device,
    )
    .map_err(|e| e.to_string())?;
    while !teaching.is_done() {
        let loss = teaching.epoch().map_err(|e| e.to_string())?;
        let done = teaching.trainer().epochs_done();
        if !args.json && (done % 10 == 0 || done == settings.epochs) {
            eprintln!("epoch {done}/{}: loss {loss:.4}", settings.epochs);
        }
    }
    let (head, report) = teaching
        .finish(
            classifier.backbone.clone(),
            classifier.preprocessing.clone(),
        )
        .map_err(|e| e.to_string())?;
    let train_seconds = start.elapsed().as_secs_f64();
    std::fs::write(&args.out, head.encode())
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;

    let unvalidated: Vec<&String> = report
        .validation_per_class
        .iter()
        .zip(&names)
        .filter(|(n, _)| **n == 0)
        .map(|(_, name)| name)
        .collect();
    for name in &unvalidated {
        eprintln!("effnet: class '{name}' has a single image: it trains but is not validated");
    }
    if args.json {
        let validation: Vec<_> = report
            .validation
            .iter()
            .map(|s| {
                json!({
                    "image": ran.examples[s.example].1.display().to_string(),
                    "class": s.truth,
                    "predicted": s.predicted,
                    "ncm_predicted": s.ncm,
                })
            })
            .collect();
        let out = json!({
            "classes": names,
            "variant": variant.name(),
            "weights_sha256": classifier.backbone.weights_sha256,
            "head": args.out.display().to_string(),
            "images": ran.examples.len(),
            "skipped": ran.skipped.len(),
            "skipped_files": ran.skipped,
            "split": {
                "train": report.train_per_class.iter().sum::<usize>(),
                "validation": report.validation_per_class.iter().sum::<usize>(),
                "train_per_class": report.train_per_class,
                "validation_per_class": report.validation_per_class,
                "unvalidated_classes": unvalidated,
            },
            "accuracy": report.head.accuracy,
            "per_class": per_class_json(&names, &report.head),
            "confusion": report.head.confusion,
            "confusion_layout": "rows: true class, columns: predicted class (class order as in `classes`)",
            "ncm_accuracy": report.ncm.accuracy,
            "ncm_confusion": report.ncm.confusion,
            "losses": report.losses,
            "settings": settings,
            "validation": validation,
            "seconds": {"features": feature_seconds, "training": train_seconds},
        });
        println!("{out}");
    } else {
        let pct = |a: Option<f64>| a.map_or("n/a".to_string(), |a| format!("{:.1}%", a * 100.0));
        println!(
            "{} classes, {} images ({} skipped): {} train, {} validation",
            names.len(),
            ran.examples.len(),
            ran.skipped.len(),
            report.train_per_class.iter().sum::<usize>(),
            report.validation_per_class.iter().sum::<usize>()
        );
        println!(
            "held-out accuracy {} (nearest class mean {}); head written to {}",
            pct(report.head.accuracy),
            pct(report.ncm.accuracy),
            args.out.display()
        );
        for (name, c) in names.iter().zip(&report.head.per_class) {
            println!(
                "  {name}: precision {}, recall {} ({} held out)",
                pct(c.precision),
                pct(c.recall),
                c.support
            );
        }
    }
    Ok(())
}
