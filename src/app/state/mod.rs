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
pub mod screen;
pub mod webcam;

use effnet::Variant;
use leptos::prelude::*;

use activation_map::CamSettings;
use backend::BackendInfo;
use bench::BenchState;
use compare::CompareState;
use error::AppError;
use load::{LoadState, ManifestState};
use measurements::Measurements;
use offline::OfflineState;
use options::Options;
use results::RunResult;
use screen::Screen;
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
    /// The visitor's current request: its input, what it is doing (the status line says it).
    pub screen: RwSignal<Screen>,
    /// The bundled sample the current request classifies, if it is one (the gallery marks it).
    pub sample: RwSignal<Option<&'static str>>,
    /// The last download's speed (bytes a millisecond), for estimates of the next.
    pub throughput: RwSignal<Option<f64>>,
    /// Whether a network is running now (the engine's session says; the test contract reads it).
    pub engine_busy: RwSignal<bool>,
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

    /// The label where the width is short (a phone).
    pub fn short_label(self) -> &'static str {
        match self {
            Tab::Classify => "Classify",
            Tab::Compare => "Compare",
            Tab::Scaling => "Scaling",
        }
    }
}

impl AppState {
    /// The variant whose result is on screen, if any.
    pub fn shown_variant(&self) -> Option<Variant> {
        self.result
            .with_untracked(|r| r.as_ref().and_then(|r| Variant::parse(&r.variant)))
    }

    pub fn new(options: Options) -> Self {
        Self {
            variant: RwSignal::new(options.variant.unwrap_or(Variant::Lite0)),
            backend: RwSignal::new(BackendInfo::default()),
            manifest: RwSignal::new(ManifestState::Loading),
            load: RwSignal::new(LoadState::Idle),
            result: RwSignal::new(None),
            result_count: RwSignal::new(0),
            error: RwSignal::new(None),
            screen: RwSignal::new(Screen::default()),
            sample: RwSignal::new(None),
            throughput: RwSignal::new(None),
            engine_busy: RwSignal::new(false),
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
