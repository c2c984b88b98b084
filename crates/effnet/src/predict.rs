//! Turning logits into ranked predictions, on the CPU (sorting on WebGPU is unreliable in wasm).

use serde::{Deserialize, Serialize};

use crate::labels;

/// One ranked class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub index: usize,
    pub label: String,
    pub prob: f64,
}

/// Softmax in f64 (stable) of one row of logits.
pub fn softmax(logits: &[f32]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let exps: Vec<f64> = logits.iter().map(|&l| (l as f64 - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Indices of the `k` largest values, largest first (ties: lower index first).
pub fn top_k(values: &[f64], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    idx.truncate(k);
    idx
}

/// The `k` most probable classes for one row of logits.
pub fn top_predictions(logits: &[f32], k: usize) -> Vec<Prediction> {
    let probs = softmax(logits);
    top_k(&probs, k)
        .into_iter()
        .map(|index| Prediction {
            index,
            label: labels::label(index, logits.len()),
            prob: probs[index],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_ranks() {
        let p = softmax(&[1.0, 3.0, 2.0, 5.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(top_k(&p, 2), [3, 1]);
        let top = top_predictions(&[0.0, 2.0, 1.0], 2);
        assert_eq!(top[0].index, 1);
        assert_eq!(top[0].label, "class 1");
        assert!(top[0].prob > top[1].prob);
    }
}
