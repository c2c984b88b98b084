//! Latencies measured on this device in this visit, per variant and backend: what the charts
//! plot against the reported accuracies.

use std::collections::BTreeMap;

use effnet::Variant;
use serde::Serialize;

use super::backend::BackendKind;
use super::results::Timings;

/// One variant's latency on one backend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measured {
    pub cold_ms: Option<f64>,
    pub warm_median_ms: Option<f64>,
    pub warm_runs: usize,
}

impl Measured {
    /// The number a chart plots: the warm median, or the cold run while there is no warm one.
    pub fn typical_ms(&self) -> Option<f64> {
        self.warm_median_ms.or(self.cold_ms)
    }
}

pub type Measurements = BTreeMap<(Variant, &'static str), Measured>;

/// What `timings` of `variant` on `kind` add to the measurements.
pub fn record(m: &mut Measurements, variant: Variant, kind: BackendKind, timings: &Timings) {
    m.insert(
        (variant, kind.id()),
        Measured {
            cold_ms: timings.cold_ms,
            warm_median_ms: timings.warm_median_ms,
            warm_runs: timings.warm_runs,
        },
    );
}
