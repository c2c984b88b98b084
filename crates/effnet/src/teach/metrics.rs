//! How well a classifier does on held-out examples, and the nearest-class-mean baseline.

use serde::{Deserialize, Serialize};

use super::TeachError;
use super::split::class_members;

/// Scores of predictions against the truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// How many examples were scored.
    pub count: usize,
    /// The share predicted right; `None` when nothing was scored.
    pub accuracy: Option<f64>,
    /// `confusion[t][p]`: how many examples of true class `t` were predicted as class `p`
    /// (rows are the true class, columns the predicted one).
    pub confusion: Vec<Vec<usize>>,
    /// Per class, in class order.
    pub per_class: Vec<ClassMetrics>,
}

/// One class's scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// How many scored examples truly are of this class.
    pub support: usize,
    /// Of the examples predicted as this class, the share that are; `None` when none was.
    pub precision: Option<f64>,
    /// Of the examples of this class, the share predicted as it; `None` when it has none.
    pub recall: Option<f64>,
}

impl Metrics {
    /// Scores `predicted[i]` against `truth[i]`, both in `0..num_classes`.
    pub fn from_predictions(
        truth: &[usize],
        predicted: &[usize],
        num_classes: usize,
    ) -> Result<Metrics, TeachError> {
        if truth.len() != predicted.len() {
            return Err(TeachError::LengthMismatch {
                what: "predictions",
                expected: truth.len(),
                found: predicted.len(),
            });
        }
        let mut confusion = vec![vec![0; num_classes]; num_classes];
        for (&t, &p) in truth.iter().zip(predicted) {
            let label = t.max(p);
            if label >= num_classes {
                return Err(TeachError::LabelOutOfRange { label, num_classes });
            }
            confusion[t][p] += 1;
        }
        let ratio = |num: usize, den: usize| (den > 0).then(|| num as f64 / den as f64);
        let per_class = (0..num_classes)
            .map(|c| {
                let support: usize = confusion[c].iter().sum();
                let predicted_as: usize = confusion.iter().map(|row| row[c]).sum();
                ClassMetrics {
                    support,
                    precision: ratio(confusion[c][c], predicted_as),
                    recall: ratio(confusion[c][c], support),
                }
            })
            .collect();
        let correct = (0..num_classes).map(|c| confusion[c][c]).sum();
        Ok(Metrics {
            count: truth.len(),
            accuracy: ratio(correct, truth.len()),
            confusion,
            per_class,
        })
    }
}

/// The nearest-class-mean classifier: each class is the mean of its training features, an
/// example belongs to the class whose mean is nearest (Euclidean distance; ties go to the
/// lower class index). A baseline with nothing to train, beside the trained head.
#[derive(Debug, Clone, PartialEq)]
pub struct NearestClassMean {
    dim: usize,
    /// `[num_classes, dim]`, row-major.
    means: Vec<f64>,
}

impl NearestClassMean {
    /// The class means of `features` (`labels.len()` rows of `dim`), every class in
    /// `0..num_classes` having at least one row.
    pub fn fit(
        features: &[f32],
        dim: usize,
        labels: &[usize],
        num_classes: usize,
    ) -> Result<Self, TeachError> {
        check_rows(features, dim, labels.len())?;
        let members = class_members(labels, num_classes)?;
        let mut means = vec![0f64; num_classes * dim];
        for (c, rows) in members.iter().enumerate() {
            let mean = &mut means[c * dim..(c + 1) * dim];
            for &i in rows {
                for (m, &x) in mean.iter_mut().zip(&features[i * dim..(i + 1) * dim]) {
                    *m += x as f64;
                }
            }
            mean.iter_mut().for_each(|m| *m /= rows.len() as f64);
        }
        Ok(Self { dim, means })
    }

    /// The class whose mean is nearest to `row` (`dim` values).
    pub fn predict(&self, row: &[f32]) -> usize {
        let distance = |mean: &[f64]| -> f64 {
            mean.iter()
                .zip(row)
                .map(|(&m, &x)| (x as f64 - m).powi(2))
                .sum()
        };
        let mut best = (0, f64::INFINITY);
        for (c, mean) in self.means.chunks_exact(self.dim).enumerate() {
            let d = distance(mean);
            if d < best.1 {
                best = (c, d);
            }
        }
        best.0
    }
}

/// Checks that `features` holds `rows` rows of `dim` values.
pub(super) fn check_rows(features: &[f32], dim: usize, rows: usize) -> Result<(), TeachError> {
    if dim == 0 || features.len() != rows * dim {
        return Err(TeachError::LengthMismatch {
            what: "features",
            expected: rows * dim,
            found: features.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_known_predictions() {
        // Class 0: 3 examples, 2 right, one taken for 1; class 1: 2, both right; class 2: 1,
        // taken for 0; nothing predicted as 2.
        let truth = [0, 0, 0, 1, 1, 2];
        let predicted = [0, 1, 0, 1, 1, 0];
        let m = Metrics::from_predictions(&truth, &predicted, 3).unwrap();
        assert_eq!(m.count, 6);
        assert_eq!(m.accuracy, Some(4.0 / 6.0));
        assert_eq!(m.confusion, [[2, 1, 0], [0, 2, 0], [1, 0, 0]]);
        let p: Vec<_> = m.per_class.iter().map(|c| c.precision).collect();
        let r: Vec<_> = m.per_class.iter().map(|c| c.recall).collect();
        assert_eq!(p, [Some(2.0 / 3.0), Some(2.0 / 3.0), None]);
        assert_eq!(r, [Some(2.0 / 3.0), Some(1.0), Some(0.0)]);
        assert_eq!(
            m.per_class.iter().map(|c| c.support).collect::<Vec<_>>(),
            [3, 2, 1]
        );
        let empty = Metrics::from_predictions(&[], &[], 2).unwrap();
        assert_eq!((empty.count, empty.accuracy), (0, None));
        assert!(Metrics::from_predictions(&[0], &[3], 2).is_err());
        assert!(Metrics::from_predictions(&[0], &[], 2).is_err());
    }

    #[test]
    fn nearest_class_mean_takes_the_nearest_mean() {
        // Class 0 around (0, 0), class 1 around (10, 0): means (0, 1) and (10, 0).
        let features = [0.0, 0.0, 0.0, 2.0, 10.0, 0.0];
        let ncm = NearestClassMean::fit(&features, 2, &[0, 0, 1], 2).unwrap();
        assert_eq!(ncm.predict(&[1.0, 1.0]), 0);
        assert_eq!(ncm.predict(&[6.0, 0.0]), 1);
        assert_eq!(ncm.predict(&[5.0, 0.5]), 0, "a tie goes to the lower class");
        assert_eq!(
            NearestClassMean::fit(&features, 2, &[0, 0, 0], 2),
            Err(TeachError::EmptyClass { class: 1 })
        );
        assert!(NearestClassMean::fit(&features[..5], 2, &[0, 0, 1], 2).is_err());
    }
}
