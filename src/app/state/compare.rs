//! The compare view's choice and cards.

use std::collections::BTreeSet;
use std::sync::Arc;

use effnet::Variant;
use effnet::predict::Prediction;
use serde::Serialize;

use super::error::AppError;
use super::results::Cams;

/// One variant's result in the compare view.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub variant: String,
    pub pretrained: bool,
    pub backend: String,
    pub top5: Vec<Prediction>,
    /// Latency of the run shown (warm when the network had run before).
    pub latency_ms: f64,
    pub cold_ms: Option<f64>,
    pub params: u64,
    pub flops: u64,
    pub crop_size: usize,
    pub cam_peak: Option<[f64; 2]>,
    pub error: Option<AppError>,
    #[serde(skip)]
    pub crop: Option<Arc<effnet::preprocess::RgbImage>>,
    #[serde(skip)]
    pub cams: Option<Arc<Cams>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CompareState {
    /// Ticked variants; `None` until the visitor changes the default (the pretrained ones).
    #[serde(skip)]
    pub chosen: Option<BTreeSet<Variant>>,
    pub running: bool,
    pub progress: String,
    pub done: usize,
    pub total: usize,
    pub input: Option<String>,
    pub cards: Vec<Card>,
    /// Runs finished (tests wait for it to grow).
    pub runs: u64,
}

/// The top-1 label most pretrained cards agree on, and how many do.
pub fn consensus(cards: &[Card]) -> Option<(usize, usize)> {
    let tops: Vec<usize> = cards
        .iter()
        .filter(|c| c.pretrained)
        .filter_map(|c| c.top5.first().map(|p| p.index))
        .collect();
    let best = tops
        .iter()
        .copied()
        .max_by_key(|&t| (tops.iter().filter(|&&u| u == t).count(), usize::MAX - t))?;
    Some((best, tops.iter().filter(|&&t| t == best).count()))
}
