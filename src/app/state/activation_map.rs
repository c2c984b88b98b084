//! The visitor's settings for the class activation maps laid over the crops.

use super::results::Cams;

/// What the visitor set for the overlays (shared by every view).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CamSettings {
    pub enabled: bool,
    /// 0–1.
    pub opacity: f64,
    /// The class whose map is shown; `None`: each result's top class.
    pub class: Option<usize>,
}

impl Default for CamSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            opacity: 0.5,
            class: None,
        }
    }
}

/// The class an overlay shows: the chosen one if this result has its map, else the top class.
pub fn shown_class(settings: &CamSettings, cams: &Cams) -> Option<usize> {
    settings
        .class
        .filter(|c| cams.classes.contains(c))
        .or_else(|| cams.classes.first().copied())
}
