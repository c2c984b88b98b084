//! The bottom layer: the signals the page shares and the plain types they hold. Nothing here
//! knows the engine, the browser or the views; only `actions` write these signals.

pub mod activation_map;
pub mod activity;
pub mod backend;
pub mod bench;
pub mod compare;
pub mod error;
pub mod load;
pub mod measurements;
pub mod offline;
pub mod options;
pub mod results;
pub mod webcam;

use effnet::Variant;
use leptos::prelude::*;

use activation_map::CamSettings;
use activity::{Activity, StartStep};
use backend::BackendInfo;
use bench::BenchState;
use compare::CompareState;
use error::AppError;
use load::{LoadState, ManifestState};
use measurements::Measurements;
use offline::OfflineState;
use options::Options;
use results::RunResult;
use webcam::WebcamStats;

/// Everything the components share (signals are `Copy`).
#[derive(Clone, Copy)]
pub struct AppState {
    pub variant: RwSignal<Variant>,
    pub backend: RwSignal<BackendInfo>,
    pub manifest: RwSignal<ManifestState>,
    pub load: RwSignal<LoadState>,
    pub result: RwSignal<Option<RunResult>>,
    /// Results shown so far (tests wait for it to grow).
    pub result_count: RwSignal<u64>,
    pub error: RwSignal<Option<AppError>>,
    /// What the page is doing (the status line says it).
    pub activity: RwSignal<Activity>,
    /// What the current input is (file name and size, or the webcam).
    pub input: RwSignal<Option<String>>,
    pub webcam: RwSignal<WebcamStats>,
    /// Bench mode's results (`?bench`), `None` otherwise.
    pub bench: RwSignal<Option<BenchState>>,
    pub cam: RwSignal<CamSettings>,
    pub measured: RwSignal<Measurements>,
    pub compare: RwSignal<CompareState>,
    pub tab: RwSignal<Tab>,
    pub offline: RwSignal<OfflineState>,
    /// The address's knobs, read once at start-up.
    pub options: StoredValue<Options>,
}

/// The page's views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Classify,
    Compare,
    Scaling,
}

impl Tab {
    pub const ALL: [Tab; 3] = [Tab::Classify, Tab::Compare, Tab::Scaling];

    pub fn id(self) -> &'static str {
        match self {
            Tab::Classify => "classify",
            Tab::Compare => "compare",
            Tab::Scaling => "scaling",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::Classify => "Classify",
            Tab::Compare => "Compare variants",
            Tab::Scaling => "Scaling explained",
        }
    }
}

impl AppState {
    pub fn new(options: Options) -> Self {
        Self {
            variant: RwSignal::new(options.variant.unwrap_or(Variant::Lite0)),
            backend: RwSignal::new(BackendInfo::default()),
            manifest: RwSignal::new(ManifestState::Loading),
            load: RwSignal::new(LoadState::Idle),
            result: RwSignal::new(None),
            result_count: RwSignal::new(0),
            error: RwSignal::new(None),
            activity: RwSignal::new(Activity::Starting {
                step: StartStep::Page,
            }),
            input: RwSignal::new(None),
            webcam: RwSignal::new(WebcamStats::default()),
            bench: RwSignal::new(None),
            cam: RwSignal::new(CamSettings::default()),
            measured: RwSignal::new(Measurements::new()),
            compare: RwSignal::new(CompareState::default()),
            tab: RwSignal::new(options.tab.unwrap_or(Tab::Classify)),
            offline: RwSignal::new(OfflineState::default()),
            options: StoredValue::new(options),
        }
    }
}
