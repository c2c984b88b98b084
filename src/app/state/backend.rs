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

/// Where WebGPU stands.
#[derive(Debug, Clone, PartialEq)]
pub enum GpuState {
    Probing,
    /// Not tried (`?backend=cpu`).
    Skipped,
    /// The browser offers no WebGPU, or no adapter.
    Unavailable(String),
    /// WebGPU exists but burn could not start on it.
    Failed(String),
    Ready(AdapterInfo),
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
    pub gpu: GpuState,
    /// Shown when the page fell back to the CPU by itself.
    pub notice: Option<String>,
    pub runs_in: RunsIn,
}

impl Default for BackendInfo {
    fn default() -> Self {
        Self {
            active: None,
            gpu: GpuState::Probing,
            notice: None,
            runs_in: RunsIn::Starting,
        }
    }
}
