//! Everything that can go wrong in the page and its engine, as one type: what the page does
//! about an error (a Retry button, computing in f32 from now on, showing nothing for work a
//! newer request superseded) depends on which it is, never on its words. It crosses to and
//! from the engine's worker as itself (serde), and the words the visitor reads are made from it
//! in one place: its `Display`.

use effnet::Variant;
use effnet::admission::Refusal;
use serde::{Deserialize, Serialize};

use super::backend::{BackendKind, Precision};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum AppError {
    /// A newer request superseded the work, or whoever asked for it cancelled it: nothing is
    /// shown.
    Cancelled,

    // The weights: fetching them.
    /// No response, and the browser says it is offline.
    Offline {
        url: String,
    },
    /// No response (the browser's words).
    FetchFailed {
        url: String,
        detail: String,
    },
    /// The server answered with an error status.
    Http {
        url: String,
        status: u16,
        status_text: String,
    },
    /// The manifest lists a file the server does not have (HTTP 404).
    WeightsMissing {
        url: String,
    },
    /// Nothing arrived for [`Self::STALL_S`] seconds.
    Stalled {
        url: String,
    },
    /// The connection broke off before the end.
    BrokeOff {
        url: String,
        detail: String,
    },
    NoBody {
        url: String,
    },
    /// The bytes are not the ones the manifest names.
    Checksum {
        url: String,
        expected: String,
        found: String,
    },
    /// The weights file cannot be read or does not fit (the core's words).
    BadWeights {
        detail: String,
    },

    // The engine.
    /// No backend has started yet.
    NoBackend,
    /// The backend has not started (or is gone).
    BackendNotReady {
        backend: BackendKind,
    },
    /// The scores were NaN or ±∞ (an overflow in f16, a faulty GPU): never a result.
    NotFinite {
        value: String,
        precision: Precision,
    },
    /// Reading `what` back from the device failed.
    Readback {
        what: String,
        detail: String,
    },
    /// A network of the engine's worker was asked to run on the page's thread.
    NotHere,
    /// The worker holds no image of the size a re-run asked for.
    NoImageHeld,
    /// The network is not in the worker (released, or the worker restarted).
    NetworkGone {
        net: u64,
    },
    /// A video frame that only the engine's worker can read reached the page's engine.
    FrameNeedsWorker,
    /// A video frame could not be read (the browser's words).
    FrameUnreadable {
        detail: String,
    },
    /// The engine's worker stopped while this was waiting for it.
    WorkerStopped {
        why: String,
    },
    /// The engine's worker did not start (why).
    WorkerStart {
        why: String,
    },
    /// A message to or from the worker could not be written or read.
    Transport {
        detail: String,
    },

    // What the visitor gives the page.
    /// A picture the page does not take (the core's admission rules, or the browser's decoder).
    Refused {
        refusal: Refusal,
    },
    /// A bundled sample could not be fetched.
    SampleUnavailable {
        url: String,
        detail: String,
    },
    /// A drop without a file.
    NothingDropped,
    /// Compare without an image.
    NeedImage,
    /// Compare with nothing ticked.
    NeedVariant,
    /// The camera did not start (why, in words for the visitor).
    Webcam {
        why: String,
    },
    /// The manifest exists but cannot be read.
    Manifest {
        detail: String,
    },
    /// The browser refused an operation the page needed (its words).
    Browser {
        detail: String,
    },

    // What the errors above were part of.
    /// A variant's network could not be loaded; the other variants still work, and the page
    /// offers Retry.
    Load {
        variant: Variant,
        cause: Box<AppError>,
    },
    /// A run of `variant` on `backend` failed.
    Run {
        variant: Variant,
        backend: BackendKind,
        cause: Box<AppError>,
    },
    /// The visitor's picture `name` could not be used.
    Input {
        name: String,
        cause: Box<AppError>,
    },
    /// f16 failed on this device (`cause`): the networks compute in f32 from now on, and the
    /// image, if any, runs again.
    F16Failed {
        cause: Box<AppError>,
        image_runs_again: bool,
    },
    /// The worker stopped and a new one was started (in f32 when the old one computed in f16).
    WorkerRestarted {
        why: String,
        in_f32: bool,
    },
    /// The worker stopped and no new one started.
    WorkerLost {
        why: String,
    },
    /// Forgetting the cached weights failed.
    ClearCache {
        detail: String,
    },
}

impl AppError {
    /// Seconds without data after which a download is given up.
    pub const STALL_S: i32 = 15;

    /// Whether this is a failed load, which the page offers to retry.
    pub fn is_load_failure(&self) -> bool {
        matches!(self, AppError::Load { .. })
    }

    /// Whether the scores were not finite numbers, here or in what this error was part of.
    pub fn is_not_finite(&self) -> bool {
        match self {
            AppError::NotFinite { .. } => true,
            AppError::Run { cause, .. } | AppError::Load { cause, .. } => cause.is_not_finite(),
            _ => false,
        }
    }

    /// The same error as part of loading `variant`.
    pub fn loading(self, variant: Variant) -> Self {
        match self {
            AppError::Cancelled | AppError::Load { .. } => self,
            cause => AppError::Load {
                variant,
                cause: Box::new(cause),
            },
        }
    }

    /// The same error as part of a run of `variant` on `backend`.
    pub fn running(self, variant: Variant, backend: BackendKind) -> Self {
        match self {
            AppError::Cancelled | AppError::Run { .. } => self,
            cause => AppError::Run {
                variant,
                backend,
                cause: Box::new(cause),
            },
        }
    }

    /// A JavaScript error's words as an error of the browser.
    pub fn browser(detail: impl Into<String>) -> Self {
        AppError::Browser {
            detail: detail.into(),
        }
    }
}

/// "Abc", from "abc": a message that begins a sentence.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use AppError::*;
        match self {
            Cancelled => write!(f, "cancelled: a newer request came first"),
            Offline { url } => write!(
                f,
                "{url} is not stored in this browser and the network is unreachable (offline): connect to download it"
            ),
            FetchFailed { url, detail } => write!(f, "cannot fetch {url}: {detail}"),
            Http {
                url,
                status,
                status_text,
            } => write!(f, "cannot download {url}: HTTP {status} {status_text}"),
            WeightsMissing { url } => write!(
                f,
                "the weights file {url} is missing on the server (HTTP 404); the manifest lists it, so the site is incomplete"
            ),
            Stalled { url } => write!(
                f,
                "the download of {url} stalled (no data for {} s); retry to continue it",
                Self::STALL_S
            ),
            BrokeOff { url, detail } => write!(
                f,
                "the download of {url} broke off ({detail}); retry to continue it"
            ),
            NoBody { url } => write!(f, "cannot download {url}: the response has no body"),
            Checksum {
                url,
                expected,
                found,
            } => write!(
                f,
                "{url}: the weights file is corrupt: sha256 {found} does not match the manifest's {expected}"
            ),
            BadWeights { detail } => write!(f, "{detail}"),
            NoBackend => write!(f, "no backend has started yet"),
            BackendNotReady { backend } => {
                write!(f, "the {} backend is not ready", backend.label())
            }
            NotFinite { value, precision } => write!(
                f,
                "the network computed scores that are not finite numbers ({value} among the scores, computing in {})",
                precision.id()
            ),
            Readback { what, detail } => write!(f, "reading {what} failed: {detail}"),
            NotHere => write!(f, "this network lives in the engine's worker"),
            NoImageHeld => write!(f, "the worker holds no image of that size to run again"),
            NetworkGone { net } => write!(
                f,
                "network {net} is not in the worker (released, or the worker restarted)"
            ),
            FrameNeedsWorker => write!(f, "a video frame can only be read by the engine's worker"),
            FrameUnreadable { detail } => write!(f, "cannot read the frame: {detail}"),
            WorkerStopped { why } => write!(f, "the engine's worker stopped ({why})"),
            WorkerStart { why } => write!(f, "the engine's worker could not start: {why}"),
            Transport { detail } => write!(
                f,
                "a message to or from the engine's worker failed: {detail}"
            ),
            Refused { refusal } => write!(f, "{refusal}"),
            SampleUnavailable { url, detail } => {
                write!(f, "cannot load the sample {url}: {detail}")
            }
            NothingDropped => write!(f, "nothing to classify was dropped (drop an image file)"),
            NeedImage => write!(
                f,
                "Choose an image first (a sample, a file, a drop or a paste), then compare."
            ),
            NeedVariant => write!(f, "Tick at least one variant to compare."),
            Webcam { why } => write!(f, "webcam unavailable: {why}"),
            Manifest { detail } => write!(
                f,
                "the weights manifest cannot be read, so every variant is randomly initialised: {detail}"
            ),
            Browser { detail } => write!(f, "{detail}"),
            Load { variant, cause } => write!(f, "{variant}: {cause}. Other variants still work."),
            Run {
                variant,
                backend,
                cause,
            } => write!(f, "{variant} on {}: {cause}", backend.label()),
            Input { name, cause } => write!(f, "{name}: {cause}"),
            F16Failed {
                cause,
                image_runs_again,
            } => write!(
                f,
                "{}. Networks now compute in f32 in this browser{}.",
                capitalised(&innermost(cause).to_string()),
                if *image_runs_again {
                    ", and the image runs again"
                } else {
                    ""
                }
            ),
            WorkerRestarted { why, in_f32 } => write!(
                f,
                "The engine's worker stopped ({why}). It has been restarted{}; networks load again.",
                if *in_f32 {
                    " computing in f32, not f16"
                } else {
                    ""
                }
            ),
            WorkerLost { why } => write!(
                f,
                "The engine's worker stopped ({why}) and could not be restarted: reload the page."
            ),
            ClearCache { detail } => write!(f, "cannot clear the weights cache: {detail}"),
        }
    }
}

/// The error a chain of "part of" errors began with.
fn innermost(error: &AppError) -> &AppError {
    match error {
        AppError::Load { cause, .. }
        | AppError::Run { cause, .. }
        | AppError::Input { cause, .. }
        | AppError::F16Failed { cause, .. } => innermost(cause),
        other => other,
    }
}

/// What a browser test reads of an error in `window.__effnet.error`: its kind (the innermost
/// cause's, and the outer one's) and the words shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorReport {
    pub kind: String,
    pub cause: String,
    pub message: String,
}

impl From<&AppError> for ErrorReport {
    fn from(error: &AppError) -> Self {
        let kind = |e: &AppError| {
            serde_json::to_value(e)
                .ok()
                .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(String::from))
                .unwrap_or_default()
        };
        Self {
            kind: kind(error),
            cause: kind(innermost(error)),
            message: error.to_string(),
        }
    }
}

/// The error of a load or a run that a newer request superseded, as the session's loads give it.
impl From<effnet::session::LoadError<AppError>> for AppError {
    fn from(error: effnet::session::LoadError<AppError>) -> Self {
        match error {
            effnet::session::LoadError::Superseded => AppError::Cancelled,
            effnet::session::LoadError::Failed(e) => e,
        }
    }
}
