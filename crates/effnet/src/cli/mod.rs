//! The `effnet` command line: convert checkpoints, classify images, describe variants, bench,
//! teach new classes, evaluate on ImageNet-labelled folders.

mod bench;
mod classify;
mod convert;
mod describe;
mod evaluate;
mod folders;
mod teach;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "effnet",
    version,
    about = "EfficientNet V1 (B0–B7, Lite0–4) in burn: convert weights, classify images"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert a PyTorch checkpoint into the compact web format (+ manifest entry).
    Convert(convert::Args),
    /// Classify images with converted (or PyTorch) weights.
    Classify(classify::Args),
    /// Print a variant's architecture, parameters and FLOPs.
    Describe(describe::Args),
    /// Time inference of each variant on the CPU backend (or, in a build with the `cube`
    /// feature, on the GPU through wgpu: `--device wgpu`).
    Bench(bench::Args),
    /// Train a head for your own classes (DIR's sub-folders) on a backbone's pooled features.
    Teach(teach::Args),
    /// Score a folder labelled with ImageNet classes (sub-folders named by WordNet id or class
    /// name): top-1, top-5, the worst classes.
    Evaluate(evaluate::Args),
}

/// Runs the CLI; returns the process exit code. Errors go to stderr as one clear line.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Convert(args) => convert::run(args),
        Command::Classify(args) => classify::run(args),
        Command::Describe(args) => describe::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Teach(args) => teach::run(args),
        Command::Evaluate(args) => evaluate::run(args),
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("effnet: error: {message}");
            1
        }
    }
}

/// Parses a variant name or explains what is accepted.
fn parse_variant(name: &str) -> Result<crate::Variant, String> {
    crate::Variant::parse(name).ok_or_else(|| {
        let all: Vec<_> = crate::Variant::ALL.iter().map(|v| v.name()).collect();
        format!(
            "unknown variant '{name}' (expected one of {})",
            all.join(", ")
        )
    })
}

fn parse_source(name: &str) -> Result<crate::weights::Source, String> {
    crate::weights::Source::parse(name).ok_or_else(|| {
        let all: Vec<_> = crate::weights::Source::ALL
            .iter()
            .map(|s| s.name())
            .collect();
        format!(
            "unknown source '{name}' (expected one of {})",
            all.join(", ")
        )
    })
}
