//! Which backend runs the networks, and what the browser said about WebGPU.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BackendKind {
    WebGpu,
    Cpu,
}

impl BackendKind {
    /// The core's name for this kind (`effnet::estimate`).
    pub fn core(self) -> effnet::estimate::Backend {
        match self {
            BackendKind::WebGpu => effnet::estimate::Backend::Gpu,
            BackendKind::Cpu => effnet::estimate::Backend::Cpu,
        }
    }

    pub fn from_core(backend: effnet::estimate::Backend) -> Self {
        match backend {
            effnet::estimate::Backend::Gpu => BackendKind::WebGpu,
            effnet::estimate::Backend::Cpu => BackendKind::Cpu,
        }
    }

    /// Stable identifier (tests, `?backend=`).
    pub fn id(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "webgpu",
            BackendKind::Cpu => "cpu",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "WebGPU",
            BackendKind::Cpu => "CPU (burn Flex, wasm)",
        }
    }
}

/// What `navigator.gpu.requestAdapter()` says about the adapter.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdapterInfo {
    pub vendor: String,
    pub architecture: String,
    pub device: String,
    pub description: String,
    /// A software ("fallback") adapter such as SwiftShader: correct but slow.
    pub fallback: bool,
    /// Whether it offers the `shader-f16` feature (networks may then compute in f16).
    pub shader_f16: bool,
}

impl AdapterInfo {
    pub fn summary(&self) -> String {
        let mut parts: Vec<&str> = [
            &self.vendor,
            &self.architecture,
            &self.device,
            &self.description,
        ]
        .into_iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
        parts.dedup();
        let name = if parts.is_empty() {
            "unnamed adapter".to_string()
        } else {
            parts.join(" / ")
        };
        if self.fallback {
            format!("{name} (software fallback adapter: slow)")
        } else {
            format!("{name} (hardware)")
        }
    }
}

/// How WebGPU started: the one outcome of the one start-up (`transport::gpu::start`), on the
/// page's thread or in the engine's worker.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum GpuStart {
    /// Not tried (`?backend=cpu`).
    NotAsked,
    /// The browser offers no WebGPU, or no adapter.
    Unavailable(String),
    /// An adapter, but burn could not start on it.
    Failed(String),
    Ready(AdapterInfo),
}

impl GpuStart {
    /// What the GPU is, for the choice of backend.
    pub fn kind(&self) -> effnet::estimate::Gpu {
        match self {
            GpuStart::Ready(info) if info.fallback => effnet::estimate::Gpu::Software,
            GpuStart::Ready(_) => effnet::estimate::Gpu::Hardware,
            _ => effnet::estimate::Gpu::Missing,
        }
    }

    /// The adapter burn runs on, when it started.
    pub fn adapter(&self) -> Option<&AdapterInfo> {
        match self {
            GpuStart::Ready(info) => Some(info),
            _ => None,
        }
    }
}

/// The float type a network computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    #[default]
    F32,
    F16,
}

impl Precision {
    pub fn id(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F16 => "f16",
        }
    }
}

/// When networks compute in f16 (`?f16=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum HalfChoice {
    /// On WebGPU where the adapter offers `shader-f16`; f32 elsewhere.
    #[default]
    Auto,
    /// `?f16=on`: wherever the device computes f16, the CPU included (slow there: a test
    /// knob, for the f16 path on machines whose adapter has no `shader-f16`).
    On,
    /// `?f16=off`: always f32.
    Off,
}

impl HalfChoice {
    /// What a network on `kind` computes in, `half` saying whether that device can compute f16.
    pub fn precision(self, kind: BackendKind, half: bool) -> Precision {
        match (self, kind) {
            (HalfChoice::On, _) | (HalfChoice::Auto, BackendKind::WebGpu) if half => Precision::F16,
            _ => Precision::F32,
        }
    }
}

/// Where the networks run.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum RunsIn {
    #[default]
    Starting,
    /// The engine's Web Worker: the page's thread only renders.
    Worker,
    /// The page's own thread, and why (`?worker=off`, no worker, no WebGPU in workers).
    Page(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct BackendInfo {
    /// The backend models run on; `None` while starting.
    pub active: Option<BackendKind>,
    /// How WebGPU started; `None` while it is being tried.
    pub gpu: Option<GpuStart>,
    /// The backend the address asks for (`?backend=cpu|webgpu`): it stands.
    pub asked: Option<BackendKind>,
    /// The visitor switched backend by hand: their choice stands too.
    pub chosen_by_visitor: bool,
    pub runs_in: RunsIn,
    /// The engine's worker stopped while it held a network computing in f16, now or on an
    /// earlier visit in this browser (`localStorage`): networks compute in f32 (f16 may be what
    /// failed on this GPU).
    pub f16_failed: bool,
}

impl Default for BackendInfo {
    fn default() -> Self {
        Self {
            active: None,
            gpu: None,
            asked: None,
            chosen_by_visitor: false,
            runs_in: RunsIn::Starting,
            f16_failed: false,
        }
    }
}

impl BackendInfo {
    /// The backend to run `variant` on, and why, from what was measured here (`gpu_ms`,
    /// `cpu_ms`: warm runs of it on each): the address's or the visitor's choice stands,
    /// else `effnet::estimate::choose`.
    pub fn choice(
        &self,
        gpu_ms: Option<f64>,
        cpu_ms: Option<f64>,
    ) -> (BackendKind, effnet::estimate::Reason) {
        let gpu = self
            .gpu
            .as_ref()
            .map_or(effnet::estimate::Gpu::Missing, GpuStart::kind);
        // The visitor's switch wins over the address, which wins over measurements.
        let asked = if self.chosen_by_visitor {
            self.active
        } else {
            self.asked
        }
        .map(BackendKind::core);
        let (backend, reason) = effnet::estimate::choose(gpu, asked, gpu_ms, cpu_ms);
        (BackendKind::from_core(backend), reason)
    }
}

/// Why the active backend runs `variant`, and the line that says so, from the latencies of it
/// measured here (warm runs, else the first): what the page shows and its test contract reads.
pub fn choice_now(
    info: &BackendInfo,
    measured: &super::measurements::Measurements,
    variant: effnet::Variant,
) -> Option<(effnet::estimate::Reason, Option<String>)> {
    info.active?;
    let ms = |kind: BackendKind| {
        measured
            .get(&(variant, kind.id()))
            .and_then(|x| x.warm_median_ms.or(x.cold_ms))
    };
    let (gpu_ms, cpu_ms) = (ms(BackendKind::WebGpu), ms(BackendKind::Cpu));
    let (_, reason) = info.choice(gpu_ms, cpu_ms);
    Some((reason, choice_line(info, reason, gpu_ms, cpu_ms)))
}

/// The line that says which backend runs and why, with the latencies measured here.
pub fn choice_line(
    info: &BackendInfo,
    reason: effnet::estimate::Reason,
    gpu_ms: Option<f64>,
    cpu_ms: Option<f64>,
) -> Option<String> {
    use effnet::estimate::Reason;
    let ms = |v: f64| {
        if v >= 1000.0 {
            format!("{:.1} s", v / 1000.0)
        } else {
            format!("{v:.0} ms")
        }
    };
    let both = match (cpu_ms, gpu_ms) {
        (Some(c), Some(g)) => Some(format!(
            "CPU: {} a run here, WebGPU{} {}",
            ms(c),
            match &info.gpu {
                Some(GpuStart::Ready(i)) if i.fallback => " (software adapter)",
                _ => "",
            },
            ms(g)
        )),
        _ => None,
    };
    let active = info.active?;
    Some(match reason {
        Reason::Asked if info.chosen_by_visitor => match both {
            Some(both) => format!("{} as you chose. {both}.", active.label()),
            None => format!("{} as you chose.", active.label()),
        },
        Reason::Asked => format!(
            "{} because the address asks for it (?backend={}).",
            active.label(),
            active.id()
        ),
        Reason::NoGpu => {
            let why = match &info.gpu {
                Some(GpuStart::Unavailable(why)) | Some(GpuStart::Failed(why)) => {
                    format!(": {why}")
                }
                _ => String::new(),
            };
            format!("WebGPU is not available here, so the networks run on burn's CPU backend{why}.")
        }
        Reason::SoftwareGpu { .. } => match both {
            Some(both) => format!("Running on the CPU, the faster here. {both}."),
            None => format!(
                "Running on the CPU{}: WebGPU here is a software adapter (the GPU emulated on the CPU), slower.",
                cpu_ms
                    .map(|c| format!(", {} a run here", ms(c)))
                    .unwrap_or_default()
            ),
        },
        Reason::Faster { .. } => format!(
            "Running on {}, the faster here. {}.",
            active.label(),
            both.unwrap_or_default()
        ),
        Reason::HardwareGpu => return None,
    })
}
