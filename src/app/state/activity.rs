//! What the page is doing for the visitor, as a value: the status line is its `Display`, and
//! browser tests wait on its [`Phase`] and fields (`window.__effnet.phase`, `.activity`), never
//! on the line's words.

use effnet::Variant;
use serde::Serialize;

use super::backend::BackendKind;

/// The steps of start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StartStep {
    /// The page's code runs; nothing else has started.
    Page,
    Worker,
    LookingForGpu,
    StartingGpu,
}

/// What the status line says, and what the page is doing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Activity {
    Starting {
        step: StartStep,
    },
    /// Start-up is over: the backend runs and the manifest is read.
    Started,
    /// The variant on screen is loaded (and warm) and no image is chosen yet.
    AwaitingImage {
        variant: Variant,
        backend: BackendKind,
    },
    Decoding {
        input: String,
    },
    /// The visitor's picture could not be used (the error says why).
    Unusable {
        input: String,
    },
    /// The variant's network is being loaded (downloaded, built) for this request; `from` is
    /// the variant whose result stays on screen meanwhile (a switch: Cancel goes back to it).
    Loading {
        variant: Variant,
        backend: BackendKind,
        from: Option<Variant>,
        estimate: Option<Estimate>,
    },
    LoadFailed {
        variant: Variant,
    },
    Running {
        variant: Variant,
        backend: BackendKind,
        /// The network's first run (shader compilation, allocation: slower).
        cold: bool,
        estimate: Option<Estimate>,
    },
    Done {
        variant: Variant,
        backend: BackendKind,
        /// The run.
        ms: f64,
        /// What the visitor waited, from the click to the result.
        waited_ms: f64,
    },
    /// The current image through each ticked variant, one after another.
    Comparing {
        done: usize,
        total: usize,
        variant: Variant,
        backend: BackendKind,
    },
    Compared {
        total: usize,
        backend: BackendKind,
    },
    /// The webcam's frames are being classified.
    Webcam,
    CameraStopped,
    WorkerRestarted,
    CacheCleared,
    /// Bench mode (`?bench`) at work: what it does now.
    Benchmarking {
        note: String,
    },
    BenchDone,
}

/// How long a request should take, from what was measured here (`effnet::estimate`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    /// Downloading the weights (`None`: stored here, or no throughput measured yet).
    pub download_ms: Option<f64>,
    /// The run (a cold one for a network not yet run).
    pub run_ms: f64,
}

impl Estimate {
    pub fn total_ms(&self) -> f64 {
        self.download_ms.unwrap_or(0.0) + self.run_ms
    }
}

/// "57 ms", "1.6 s".
pub fn seconds_or_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

/// "0.4 s", "8 s", "2 min".
pub fn seconds(ms: f64) -> String {
    let s = ms / 1000.0;
    if s < 1.0 {
        format!("{s:.1} s")
    } else if s < 90.0 {
        format!("{s:.0} s")
    } else {
        format!("{:.0} min", s / 60.0)
    }
}

/// The kind of work under way: what a test waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    Starting,
    /// Nothing runs: the page waits for the visitor.
    Idle,
    Decoding,
    Loading,
    Running,
    Webcam,
}

impl Activity {
    /// Loading `variant` on `backend`, with nothing kept from before and no estimate.
    pub fn loading(variant: Variant, backend: BackendKind) -> Self {
        Activity::Loading {
            variant,
            backend,
            from: None,
            estimate: None,
        }
    }

    pub fn phase(&self) -> Phase {
        match self {
            Activity::Starting { .. } => Phase::Starting,
            Activity::Decoding { .. } => Phase::Decoding,
            Activity::Loading { .. } => Phase::Loading,
            Activity::Running { .. } | Activity::Comparing { .. } => Phase::Running,
            Activity::Webcam => Phase::Webcam,
            Activity::Benchmarking { .. } => Phase::Running,
            Activity::Started
            | Activity::AwaitingImage { .. }
            | Activity::Unusable { .. }
            | Activity::LoadFailed { .. }
            | Activity::Done { .. }
            | Activity::Compared { .. }
            | Activity::CameraStopped
            | Activity::WorkerRestarted
            | Activity::CacheCleared
            | Activity::BenchDone => Phase::Idle,
        }
    }
}

impl std::fmt::Display for Activity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Activity::Starting { step } => f.write_str(match step {
                StartStep::Page => "Starting…",
                StartStep::Worker => "Starting the engine's worker…",
                StartStep::LookingForGpu => "Looking for WebGPU…",
                StartStep::StartingGpu => "Starting burn on WebGPU…",
            }),
            Activity::Started => f.write_str("The engine has started"),
            Activity::AwaitingImage { variant, backend } => {
                write!(
                    f,
                    "{variant} is ready on {}: choose an image",
                    backend.label()
                )
            }
            Activity::Decoding { input } => write!(f, "Decoding {input}…"),
            Activity::Unusable { input } => write!(f, "{input} could not be used"),
            Activity::Loading {
                variant, estimate, ..
            } => {
                write!(f, "Loading {variant}…")?;
                if let Some(e) = estimate {
                    write!(f, " (about {} to a result)", seconds(e.total_ms()))?;
                }
                Ok(())
            }
            Activity::LoadFailed { variant } => write!(f, "{variant} could not be loaded"),
            Activity::Running {
                variant,
                backend,
                cold,
                estimate,
            } => {
                write!(f, "Running {variant} on {}", backend.label())?;
                match (cold, estimate) {
                    (true, Some(e)) => {
                        write!(f, " for the first time (about {})…", seconds(e.run_ms))
                    }
                    (true, None) => write!(f, " for the first time…"),
                    _ => write!(f, "…"),
                }
            }
            Activity::Comparing {
                done,
                total,
                variant,
                backend,
            } => write!(
                f,
                "Comparing: {} of {total}, {variant} on {}…",
                done + 1,
                backend.label()
            ),
            Activity::Compared { total, backend } => {
                write!(f, "Compared {total} variant(s) on {}", backend.label())
            }
            Activity::Done {
                variant,
                backend,
                ms,
                waited_ms,
            } => write!(
                f,
                "{variant} on {}: done in {} (the run itself {})",
                backend.label(),
                seconds_or_ms(*waited_ms),
                seconds_or_ms(*ms)
            ),
            Activity::Webcam => f.write_str("Classifying the webcam, frame after frame…"),
            Activity::CameraStopped => f.write_str("Camera stopped"),
            Activity::WorkerRestarted => f.write_str("The engine's worker was restarted"),
            Activity::CacheCleared => {
                f.write_str("Cached weights forgotten: the next load downloads again")
            }
            Activity::Benchmarking { note } => write!(f, "Bench: {note}"),
            Activity::BenchDone => f.write_str("Bench done"),
        }
    }
}
