//! `?prepcheck`: every run's input, read back from the device, compared bit for bit with the one
//! the CPU makes (and the crop with the CPU's crop); counts in `window.__effnet.preprocess.checks`.

use std::cell::RefCell;

use std::rc::Rc;

use futures_util::FutureExt;

use crate::app::engine::{Engine, InputCheck};
use crate::app::platform::js;

/// Hands the engine's runs' inputs to the check.
pub fn install(engine: &Engine) {
    engine.set_input_check(Rc::new(|c| check(c).boxed_local()));
}

thread_local! {
    static CHECKS: RefCell<Vec<serde_json::Value>> = const { RefCell::new(Vec::new()) };
}

/// One comparison of an input with the CPU's.
fn record_check(input_diffs: usize, crop_diffs: usize, width: usize, height: usize) {
    CHECKS.with(|c| {
        c.borrow_mut().push(serde_json::json!({
            "width": width, "height": height, "inputDiffs": input_diffs, "cropDiffs": crop_diffs,
        }))
    });
}

/// The comparisons so far.
pub fn checks() -> Vec<serde_json::Value> {
    CHECKS.with(|c| c.borrow().clone())
}

/// Reads the input the pass got back and compares it with the CPU's.
async fn check(c: InputCheck) {
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
    record_check(input_diffs, crop_diffs, image.width, image.height);
}
