//! Your own classes: a new classifier (a "head") trained on a frozen backbone's pooled
//! features ([`crate::EfficientNet::pooled_features`]), as Teachable Machine does, in pure Rust
//! and burn so the CLI and the page run the same code.
//!
//! - [`Split`]: the stratified, seeded train/validation split.
//! - [`Normalization`], [`Trainer`], [`TrainSettings`]: a linear softmax classifier trained with
//!   burn's autodiff and Adam, one epoch per call.
//! - [`Metrics`], [`NearestClassMean`]: held-out scores and the baseline.
//! - [`Teaching`]: all of it in order, ending in a [`Head`] and its [`Report`].
//! - [`Head`]: the taught head and its file format.
//! - [`rng`]: the seeded random numbers (SplitMix64), reproducible from any language.
//!
//! Features are plain `f32` slices (rows of `dim` values), so a caller can keep them per image
//! and per variant. Nothing here uses threads or the file system; it builds for wasm32.

mod head;
mod metrics;
pub mod rng;
mod split;
mod teaching;
mod train;

pub use head::{Backbone, FORMAT, Head, HeadError};
pub use metrics::{ClassMetrics, Metrics, NearestClassMean};
pub use split::Split;
pub use teaching::{Report, Scored, Teaching};
pub use train::{Normalization, TrainSettings, Trainer, initial_head};

use std::fmt;

/// Why examples cannot be taught.
#[derive(Debug, Clone, PartialEq)]
pub enum TeachError {
    /// A setting no training can use.
    BadSetting { name: &'static str, why: String },
    /// Fewer than two classes.
    TooFewClasses { found: usize },
    /// A class with no example.
    EmptyClass { class: usize },
    /// A label outside `0..num_classes`.
    LabelOutOfRange { label: usize, num_classes: usize },
    /// A row index outside `0..rows`.
    NoSuchRow { row: usize, rows: usize },
    /// Features whose length is not a whole number of rows of `dim` values.
    NotRows { len: usize, dim: usize },
    /// A buffer of the wrong length.
    LengthMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// Nothing to train on.
    NoTrainingExamples,
    /// The backend failed to compute or to read a result back.
    Backend(String),
}

impl fmt::Display for TeachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadSetting { name, why } => write!(f, "{name}: {why}"),
            Self::TooFewClasses { found } => {
                write!(f, "{found} class(es): teaching needs at least 2")
            }
            Self::EmptyClass { class } => write!(f, "class {class} has no examples"),
            Self::LabelOutOfRange { label, num_classes } => {
                write!(f, "label {label} is not below {num_classes}")
            }
            Self::NoSuchRow { row, rows } => write!(f, "row {row} is not below {rows}"),
            Self::NotRows { len, dim } => {
                write!(f, "{len} values are not rows of {dim} features")
            }
            Self::LengthMismatch {
                what,
                expected,
                found,
            } => write!(f, "{what}: expected {expected} values, found {found}"),
            Self::NoTrainingExamples => write!(f, "no training examples"),
            Self::Backend(why) => write!(f, "the backend failed: {why}"),
        }
    }
}

impl std::error::Error for TeachError {}
