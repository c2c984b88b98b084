//! The webcam's counters.

/// What the webcam panel shows and publishes.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct WebcamStats {
    pub running: bool,
    /// Frames classified.
    pub frames: u64,
    /// Frames the preview showed while a model was busy: skipped, never queued.
    pub dropped: u64,
    /// Classified frames per second over the last few seconds.
    pub fps: f64,
    /// Latency of the last frame (preprocessing + forward + readback), ms.
    pub latency_ms: f64,
}
