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
    /// A freshly loaded network's first pass, on a blank picture.
    WarmingUp {
        variant: Variant,
        backend: BackendKind,
    },
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
    Loading {
        variant: Variant,
    },
    LoadFailed {
        variant: Variant,
    },
    Running {
        variant: Variant,
        backend: BackendKind,
    },
    Done {
        variant: Variant,
        backend: BackendKind,
        ms: f64,
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

/// The kind of work under way: what a test waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Phase {
    Starting,
    /// Nothing runs: the page waits for the visitor.
    Idle,
    Decoding,
    Loading,
    WarmingUp,
    Running,
    Webcam,
}

impl Activity {
    pub fn phase(&self) -> Phase {
        match self {
            Activity::Starting { .. } => Phase::Starting,
            Activity::WarmingUp { .. } => Phase::WarmingUp,
            Activity::Decoding { .. } => Phase::Decoding,
            Activity::Loading { .. } => Phase::Loading,
            Activity::Running { .. } => Phase::Running,
            Activity::Webcam => Phase::Webcam,
            Activity::Benchmarking { .. } => Phase::Running,
            Activity::Started
            | Activity::AwaitingImage { .. }
            | Activity::Unusable { .. }
            | Activity::LoadFailed { .. }
            | Activity::Done { .. }
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
            Activity::WarmingUp { variant, backend } => write!(
                f,
                "{variant} is ready on {}: warming up on a blank picture (choose an image any time)",
                backend.label()
            ),
            Activity::AwaitingImage { variant, backend } => {
                write!(
                    f,
                    "{variant} is ready on {}: choose an image",
                    backend.label()
                )
            }
            Activity::Decoding { input } => write!(f, "Decoding {input}…"),
            Activity::Unusable { input } => write!(f, "{input} could not be used"),
            Activity::Loading { variant } => write!(f, "Loading {variant}…"),
            Activity::LoadFailed { variant } => write!(f, "{variant} could not be loaded"),
            Activity::Running { variant, backend } => {
                write!(f, "Running {variant} on {}…", backend.label())
            }
            Activity::Done {
                variant,
                backend,
                ms,
            } => write!(f, "{variant} on {}: done in {ms:.0} ms", backend.label()),
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
