//! What the page shows of the visitor's current request: the status line, the input's name and
//! the stage are all read from one [`Screen`], which the actions replace when a request begins
//! and update only while that request is the current one. A result of another request (its
//! `generation`) is shown as the previous one, never as this one's.

use serde::Serialize;

use super::activity::{Activity, StartStep};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Screen {
    /// The request's number (the session's ticket): results carry it too.
    pub generation: u64,
    /// What the request works on, as shown ("coffee.png (600×400)", "webcam"); `None` before
    /// any image.
    pub input: Option<String>,
    /// How far it got (the status line is its `Display`).
    pub activity: Activity,
    /// When it began (the page's clock, ms): what the visitor waited is counted from here.
    pub began_ms: f64,
}

impl Default for Screen {
    fn default() -> Self {
        Self {
            generation: 0,
            input: None,
            activity: Activity::Starting {
                step: StartStep::Page,
            },
            began_ms: 0.0,
        }
    }
}
