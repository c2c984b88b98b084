//! Which backend runs the networks, and what the browser said about WebGPU.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum BackendKind {
    WebGpu,
    Cpu,
}

impl BackendKind {
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
    /// Shown when the page fell back to the CPU by itself.
    pub notice: Option<String>,
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
            notice: None,
            runs_in: RunsIn::Starting,
            f16_failed: false,
        }
    }
}
