//! A network in memory, ready to run, and the latencies measured on it.

use std::cell::{Cell, RefCell};

use effnet::EfficientNet;
use effnet::preprocess::Preprocessing;
use effnet::stats::median;

use super::remote::WorkerNet;
use crate::app::state::backend::Precision;
use crate::app::state::results::Timings;

/// Where a network lives.
pub enum Net {
    /// On this thread.
    Here(Box<EfficientNet>),
    /// In the engine's worker.
    InWorker(WorkerNet),
}

/// A network ready to run.
pub struct Loaded {
    pub net: Net,
    pub preprocessing: Preprocessing,
    /// `Some(description)` for pretrained weights, `None` for a random initialisation.
    pub weights: Option<String>,
    /// The float type it computes in.
    pub precision: Precision,
    /// Latency of the first run (shader compilation, allocations) and of later ones.
    cold_ms: Cell<Option<f64>>,
    warm_ms: RefCell<Vec<f64>>,
}

impl Loaded {
    pub fn new(
        net: Net,
        preprocessing: Preprocessing,
        weights: Option<String>,
        precision: Precision,
    ) -> Self {
        Self {
            net,
            preprocessing,
            weights,
            precision,
            cold_ms: Cell::new(None),
            warm_ms: RefCell::new(Vec::new()),
        }
    }

    /// The network, when it lives on this thread.
    pub fn model(&self) -> Option<&EfficientNet> {
        match &self.net {
            Net::Here(model) => Some(model.as_ref()),
            Net::InWorker(_) => None,
        }
    }

    /// Records the latency of a run (the first one is the cold run).
    pub fn record(&self, ms: f64) -> Timings {
        let cold = self.cold_ms.get().is_none();
        if cold {
            self.cold_ms.set(Some(ms));
        } else {
            self.warm_ms.borrow_mut().push(ms);
        }
        Timings {
            cold,
            ..self.timings()
        }
    }

    pub fn timings(&self) -> Timings {
        let warm = self.warm_ms.borrow();
        Timings {
            cold: false,
            cold_ms: self.cold_ms.get(),
            warm_median_ms: median(&warm),
            warm_runs: warm.len(),
        }
    }
}
