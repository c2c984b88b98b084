//! What an app learns from its own measurements: which backend is the faster one here, and how
//! long a variant not yet run will take. Pure rules (the page's actions apply them), so native
//! tests reach them.

use serde::{Deserialize, Serialize};

/// The two kinds of backend an app can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Gpu,
    Cpu,
}

/// What the app knows of the GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Gpu {
    /// No GPU backend (no WebGPU, or it did not start).
    Missing,
    /// A software ("fallback") adapter: a CPU emulation of a GPU, slower than a CPU backend
    /// made for the job.
    Software,
    Hardware,
}

/// Why a backend was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Reason {
    /// The visitor (or the address) asked for it.
    Asked,
    /// There is no GPU backend.
    NoGpu,
    /// The GPU is a software adapter (`cpu_ms`: the CPU's run here, once measured; `gpu_ms` the
    /// software GPU's, once measured).
    SoftwareGpu {
        cpu_ms: Option<f64>,
        gpu_ms: Option<f64>,
    },
    /// Both were measured on the same variant: this one is faster.
    Faster { cpu_ms: f64, gpu_ms: f64 },
    /// A hardware GPU, not yet measured against the CPU: GPUs usually win.
    HardwareGpu,
}

/// The backend to run on, and why. `asked`: a backend the visitor or the address chose, which
/// wins whenever it exists; `gpu_ms` and `cpu_ms`: warm runs of the variant on screen measured
/// on each (the first, cold run says little: shader compilation, first-touch memory).
pub fn choose(
    gpu: Gpu,
    asked: Option<Backend>,
    gpu_ms: Option<f64>,
    cpu_ms: Option<f64>,
) -> (Backend, Reason) {
    match (asked, gpu) {
        (Some(Backend::Gpu), Gpu::Missing) | (None, Gpu::Missing) => (Backend::Cpu, Reason::NoGpu),
        (Some(backend), _) => (backend, Reason::Asked),
        (None, Gpu::Software) => match (gpu_ms, cpu_ms) {
            // A software adapter that measured faster than the CPU here is still faster.
            (Some(g), Some(c)) if g < c => (
                Backend::Gpu,
                Reason::Faster {
                    cpu_ms: c,
                    gpu_ms: g,
                },
            ),
            _ => (Backend::Cpu, Reason::SoftwareGpu { cpu_ms, gpu_ms }),
        },
        (None, Gpu::Hardware) => match (gpu_ms, cpu_ms) {
            (Some(g), Some(c)) => {
                let backend = if c < g { Backend::Cpu } else { Backend::Gpu };
                (
                    backend,
                    Reason::Faster {
                        cpu_ms: c,
                        gpu_ms: g,
                    },
                )
            }
            _ => (Backend::Gpu, Reason::HardwareGpu),
        },
    }
}

/// A latency measured here for some variant on one backend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// The variant's multiply-adds at its input size.
    pub flops: u64,
    pub cold_ms: Option<f64>,
    pub warm_ms: Option<f64>,
}

/// A cold run's cost over a warm one, before any was measured here (shader compilation,
/// allocation, V8 tiering; measured 1.3–2.5× on the machines here).
pub const DEFAULT_COLD_FACTOR: f64 = 2.0;

/// How long a warm run of a variant of `flops` will take on the backend `measured` comes from:
/// the measured variant nearest in FLOPs (on a log scale), scaled by the FLOPs ratio (one
/// device's latency grows about linearly with the work). `None` with nothing measured.
pub fn warm_ms(flops: u64, measured: &[Measured]) -> Option<f64> {
    let (ms, f) = measured
        .iter()
        .filter_map(|m| {
            Some((
                m.warm_ms.or(m.cold_ms.map(|c| c / DEFAULT_COLD_FACTOR))?,
                m.flops,
            ))
        })
        .filter(|&(ms, f)| ms > 0.0 && f > 0)
        .min_by(|a, b| {
            let d = |f: u64| (f as f64 / flops.max(1) as f64).ln().abs();
            d(a.1).total_cmp(&d(b.1))
        })?;
    Some(ms * flops as f64 / f as f64)
}

/// The cold/warm ratio measured here (the median of the variants with both), or
/// [`DEFAULT_COLD_FACTOR`].
pub fn cold_factor(measured: &[Measured]) -> f64 {
    let ratios: Vec<f64> = measured
        .iter()
        .filter_map(|m| Some(m.cold_ms? / m.warm_ms?))
        .filter(|r| r.is_finite() && *r >= 1.0)
        .collect();
    crate::stats::median(&ratios).unwrap_or(DEFAULT_COLD_FACTOR)
}

/// How long the first (cold) run of a variant of `flops` will take.
pub fn cold_ms(flops: u64, measured: &[Measured]) -> Option<f64> {
    Some(warm_ms(flops, measured)? * cold_factor(measured))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asked_wins_where_it_exists() {
        assert_eq!(
            choose(Gpu::Software, Some(Backend::Gpu), None, Some(57.0)),
            (Backend::Gpu, Reason::Asked)
        );
        assert_eq!(
            choose(Gpu::Hardware, Some(Backend::Cpu), Some(5.0), Some(57.0)),
            (Backend::Cpu, Reason::Asked)
        );
        assert_eq!(
            choose(Gpu::Missing, Some(Backend::Gpu), None, None),
            (Backend::Cpu, Reason::NoGpu)
        );
    }

    #[test]
    fn a_software_adapter_loses_to_the_cpu_unless_measured_faster() {
        assert_eq!(
            choose(Gpu::Software, None, None, None),
            (
                Backend::Cpu,
                Reason::SoftwareGpu {
                    cpu_ms: None,
                    gpu_ms: None
                }
            )
        );
        assert_eq!(
            choose(Gpu::Software, None, Some(1600.0), Some(57.0)).0,
            Backend::Cpu
        );
        assert_eq!(
            choose(Gpu::Software, None, Some(40.0), Some(57.0)),
            (
                Backend::Gpu,
                Reason::Faster {
                    cpu_ms: 57.0,
                    gpu_ms: 40.0
                }
            )
        );
    }

    #[test]
    fn a_hardware_gpu_is_kept_until_the_cpu_measures_faster() {
        assert_eq!(
            choose(Gpu::Hardware, None, None, None),
            (Backend::Gpu, Reason::HardwareGpu)
        );
        assert_eq!(
            choose(Gpu::Hardware, None, Some(4.0), Some(57.0)).0,
            Backend::Gpu
        );
        assert_eq!(
            choose(Gpu::Hardware, None, Some(90.0), Some(57.0)).0,
            Backend::Cpu
        );
    }

    #[test]
    fn estimates_scale_the_nearest_measurement_by_flops() {
        let lite0 = Measured {
            flops: 400_000_000,
            cold_ms: Some(120.0),
            warm_ms: Some(60.0),
        };
        let b0 = Measured {
            flops: 800_000_000,
            cold_ms: Some(300.0),
            warm_ms: Some(100.0),
        };
        assert_eq!(warm_ms(1_000_000_000, &[]), None);
        // B3 (~1.9 G): nearest is B0, twice and a bit the work.
        let b3 = warm_ms(1_900_000_000, &[lite0, b0]).unwrap();
        assert!((b3 - 100.0 * 1.9 / 0.8).abs() < 1e-9, "{b3}");
        // Cold/warm: the median of 2× and 3×.
        assert!((cold_factor(&[lite0, b0]) - 2.5).abs() < 1e-12);
        let cold = cold_ms(1_900_000_000, &[lite0, b0]).unwrap();
        assert!((cold - b3 * 2.5).abs() < 1e-9);
        // Only a cold run measured: taken as DEFAULT_COLD_FACTOR times a warm one.
        let only_cold = Measured {
            flops: 400_000_000,
            cold_ms: Some(200.0),
            warm_ms: None,
        };
        assert_eq!(warm_ms(400_000_000, &[only_cold]), Some(100.0));
        assert_eq!(cold_factor(&[only_cold]), DEFAULT_COLD_FACTOR);
    }
}
