//! `?prepcheck`: every run's input, read back from the device, compared bit for bit with the one
//! the CPU makes (and the crop with the CPU's crop); counts in `window.__effnet.preprocess.checks`.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::FutureExt;

use crate::app::engine::{Engine, InputCheck};
use crate::app::platform::js;

/// The comparisons so far (the test hooks publish them).
#[derive(Default)]
pub struct Checks(RefCell<Vec<serde_json::Value>>);

impl Checks {
    pub fn all(&self) -> Vec<serde_json::Value> {
        self.0.borrow().clone()
    }

    fn record(&self, input_diffs: usize, crop_diffs: usize, width: usize, height: usize) {
        self.0.borrow_mut().push(serde_json::json!({
            "width": width, "height": height, "inputDiffs": input_diffs, "cropDiffs": crop_diffs,
        }));
    }
}

/// Hands the engine's runs' inputs to the check, which records into `checks`.
pub fn install(engine: &Engine, checks: Rc<Checks>) {
    engine.set_input_check(Rc::new(move |c| check(c, checks.clone()).boxed_local()));
}

/// Reads the input the pass got back and compares it with the CPU's.
async fn check(c: InputCheck, checks: Rc<Checks>) {
    let InputCheck {
        preprocessing,
        image,
        input,
        crop,
    } = c;
    let (expected, expected_crop) = preprocessing.apply(&image);
    let got = match input.into_data_async().await.map(|d| d.try_to_vec::<f32>()) {
        Ok(Ok(v)) => v,
        other => {
            js::log(&format!(
                "effnet: prepcheck could not read the input: {other:?}"
            ));
            return;
        }
    };
    let input_diffs = if got.len() == expected.len() {
        got.iter()
            .zip(&expected)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count()
    } else {
        usize::MAX
    };
    let crop_diffs = if crop.data.len() == expected_crop.data.len() {
        crop.data
            .iter()
            .zip(&expected_crop.data)
            .filter(|(a, b)| a != b)
            .count()
    } else {
        usize::MAX
    };
    checks.record(input_diffs, crop_diffs, image.width, image.height);
}
