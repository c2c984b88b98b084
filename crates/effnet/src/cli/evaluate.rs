use std::path::PathBuf;

use serde_json::json;

use super::classify::{Classifier, Network};
use super::folders;
use crate::labels;
use crate::predict::top_k;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    network: Network,
    /// Print one JSON object: top-1, top-5, every class and the worst ones.
    #[arg(long)]
    json: bool,
    /// How many of the worst classes to list.
    #[arg(long, default_value_t = 5)]
    worst: usize,
    /// Images per pass through the network (more than one is no faster on the CPU backend:
    /// docs/bench-teach.md).
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// A folder with one sub-folder per ImageNet class, named by WordNet id (`n01440764`) or
    /// by class name (as in crates/effnet/data/imagenet_classes.txt).
    dir: PathBuf,
}

/// One class folder's scores.
struct ClassScore {
    folder: String,
    index: usize,
    images: usize,
    top1: usize,
    top5: usize,
}

impl ClassScore {
    fn json(&self) -> serde_json::Value {
        let share = |n: usize| (self.images > 0).then(|| n as f64 / self.images as f64);
        json!({
            "folder": self.folder,
            "index": self.index,
            "label": labels::label(self.index, 1000),
            "images": self.images,
            "top1": share(self.top1),
            "top5": share(self.top5),
        })
    }
}

pub fn run(args: Args) -> Result<(), String> {
    let folders = folders::class_folders(&args.dir)?;
    if folders.is_empty() {
        return Err(format!(
            "{} has no class folders (one sub-folder per ImageNet class)",
            args.dir.display()
        ));
    }
    let indices: Vec<Option<usize>> = folders
        .iter()
        .map(|f| labels::imagenet_index(&f.name))
        .collect();
    let unknown: Vec<&str> = folders
        .iter()
        .zip(&indices)
        .filter(|(_, i)| i.is_none())
        .map(|(f, _)| f.name.as_str())
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "{} folder name(s) in {} are not ImageNet classes: {} (name each by its WordNet id, e.g. n01440764, or by its class name as in crates/effnet/data/imagenet_classes.txt)",
            unknown.len(),
            args.dir.display(),
            unknown.join(", ")
        ));
    }
    let indices: Vec<usize> = indices.into_iter().flatten().collect();
    let (variant, mut classifier) = args.network.load()?;
    classifier.model = classifier.model.for_cpu();
    let ran = folders::run_images(&folders, &classifier, args.batch, Classifier::logits)?;
    if ran.examples.is_empty() {
        return Err(format!("{} holds no readable image", args.dir.display()));
    }
    let num_classes = ran.rows.len() / ran.examples.len();
    if num_classes != 1000 {
        return Err(format!(
            "{} has {num_classes} classes, not ImageNet's 1000",
            args.network.weights.display()
        ));
    }
    let mut scores: Vec<ClassScore> = folders
        .iter()
        .zip(&indices)
        .map(|(f, &index)| ClassScore {
            folder: f.name.clone(),
            index,
            images: 0,
            top1: 0,
            top5: 0,
        })
        .collect();
    for ((class, _), logits) in ran.examples.iter().zip(ran.rows.chunks_exact(num_classes)) {
        let probs = crate::predict::softmax(logits);
        let top = top_k(&probs, 5);
        let score = &mut scores[*class];
        let truth = score.index;
        score.images += 1;
        score.top1 += usize::from(top[0] == truth);
        score.top5 += usize::from(top.contains(&truth));
    }
    let total = ran.examples.len();
    let top1 = scores.iter().map(|s| s.top1).sum::<usize>() as f64 / total as f64;
    let top5 = scores.iter().map(|s| s.top5).sum::<usize>() as f64 / total as f64;
    // Worst: lowest top-1 share, then lowest top-5 share, then folder order.
    let mut worst: Vec<&ClassScore> = scores.iter().filter(|s| s.images > 0).collect();
    let share = |n: usize, d: usize| n as f64 / d as f64;
    worst.sort_by(|a, b| {
        share(a.top1, a.images)
            .total_cmp(&share(b.top1, b.images))
            .then(share(a.top5, a.images).total_cmp(&share(b.top5, b.images)))
    });
    worst.truncate(args.worst);
    if args.json {
        let out = json!({
            "variant": variant.name(),
            "images": total,
            "skipped": ran.skipped.len(),
            "skipped_files": ran.skipped,
            "top1": top1,
            "top5": top5,
            "classes": scores.iter().map(ClassScore::json).collect::<Vec<_>>(),
            "worst": worst.iter().map(|s| s.json()).collect::<Vec<_>>(),
        });
        println!("{out}");
    } else {
        println!(
            "{variant}: {total} images in {} classes ({} skipped): top-1 {:.1}%, top-5 {:.1}%",
            scores.len(),
            ran.skipped.len(),
            top1 * 100.0,
            top5 * 100.0
        );
        println!("worst classes:");
        for s in worst {
            println!(
                "  {} ({}): top-1 {}/{}, top-5 {}/{}",
                s.folder,
                labels::label(s.index, 1000),
                s.top1,
                s.images,
                s.top5,
                s.images
            );
        }
    }
    Ok(())
}
