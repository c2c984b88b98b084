//! The stratified train/validation split.

use serde::{Deserialize, Serialize};

use super::TeachError;
use super::rng::{Purpose, SplitMix64};

/// Which examples train the head and which measure it: indices into the examples, each list
/// in ascending order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
}

impl Split {
    /// The share of each class held out for validation unless told otherwise (Teachable
    /// Machine's 15 %).
    pub const DEFAULT_VALIDATION: f64 = 0.15;

    /// How many of a class's `n` examples are held out for validation at `fraction`:
    /// `round(n × fraction)`, but at least 1 and at most `n − 1`, so every class with two or
    /// more examples is validated and keeps at least one for training. A class of one example
    /// is too small to validate: it goes to training whole (0 held out). A fraction of 0 holds
    /// nothing out.
    pub fn validation_count(n: usize, fraction: f64) -> usize {
        if n < 2 || fraction <= 0.0 {
            return 0;
        }
        ((n as f64 * fraction).round() as usize).clamp(1, n - 1)
    }

    /// Splits examples labelled `labels` (each in `0..num_classes`) class by class: for each
    /// class in order, its examples in index order are shuffled by one SplitMix64 stream
    /// ([`Purpose::Split`] of `seed`, shared by all classes in turn) and the first
    /// [`Split::validation_count`] of them are held out. Every class needs at least one example;
    /// `fraction` must be in `[0, 1)`.
    pub fn stratified(
        labels: &[usize],
        num_classes: usize,
        fraction: f64,
        seed: u64,
    ) -> Result<Split, TeachError> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(TeachError::BadSetting {
                name: "validation fraction",
                why: format!("{fraction} is not in [0, 1)"),
            });
        }
        let members = class_members(labels, num_classes)?;
        let mut rng = SplitMix64::for_purpose(seed, Purpose::Split);
        let (mut train, mut validation) = (Vec::new(), Vec::new());
        for mut indices in members {
            rng.shuffle(&mut indices);
            let held = Self::validation_count(indices.len(), fraction);
            validation.extend_from_slice(&indices[..held]);
            train.extend_from_slice(&indices[held..]);
        }
        train.sort_unstable();
        validation.sort_unstable();
        Ok(Split { train, validation })
    }

    /// The classes with no validation example (each had a single example).
    pub fn unvalidated(&self, labels: &[usize], num_classes: usize) -> Vec<usize> {
        let counts = counts(&self.validation, labels, num_classes);
        (0..num_classes).filter(|&c| counts[c] == 0).collect()
    }

    /// Training examples per class.
    pub fn train_counts(&self, labels: &[usize], num_classes: usize) -> Vec<usize> {
        counts(&self.train, labels, num_classes)
    }

    /// Validation examples per class.
    pub fn validation_counts(&self, labels: &[usize], num_classes: usize) -> Vec<usize> {
        counts(&self.validation, labels, num_classes)
    }
}

fn counts(indices: &[usize], labels: &[usize], num_classes: usize) -> Vec<usize> {
    let mut counts = vec![0; num_classes];
    for &i in indices {
        counts[labels[i]] += 1;
    }
    counts
}

/// Each class's examples in index order; an error for a label out of range, fewer than two
/// classes, or a class with no example.
pub(super) fn class_members(
    labels: &[usize],
    num_classes: usize,
) -> Result<Vec<Vec<usize>>, TeachError> {
    if num_classes < 2 {
        return Err(TeachError::TooFewClasses { found: num_classes });
    }
    let mut members = vec![Vec::new(); num_classes];
    for (i, &label) in labels.iter().enumerate() {
        members
            .get_mut(label)
            .ok_or(TeachError::LabelOutOfRange { label, num_classes })?
            .push(i);
    }
    if let Some(class) = members.iter().position(Vec::is_empty) {
        return Err(TeachError::EmptyClass { class });
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(sizes: &[usize]) -> Vec<usize> {
        sizes
            .iter()
            .enumerate()
            .flat_map(|(c, &n)| std::iter::repeat_n(c, n))
            .collect()
    }

    #[test]
    fn counts_follow_the_rule() {
        let f = Split::DEFAULT_VALIDATION;
        let expected = [
            (1, 0),
            (2, 1),
            (3, 1),
            (6, 1),
            (7, 1),
            (10, 2),
            (20, 3),
            (100, 15),
        ];
        for (n, held) in expected {
            assert_eq!(Split::validation_count(n, f), held, "n = {n}");
        }
        assert_eq!(Split::validation_count(10, 0.0), 0);
        assert_eq!(Split::validation_count(4, 0.9), 3, "keeps one for training");
    }

    #[test]
    fn stratified_split_holds_out_per_class_and_is_seeded() {
        let labels = labels(&[20, 7, 1, 2]);
        let split = Split::stratified(&labels, 4, 0.15, 42).unwrap();
        assert_eq!(split.validation_counts(&labels, 4), [3, 1, 0, 1]);
        assert_eq!(split.train_counts(&labels, 4), [17, 6, 1, 1]);
        assert_eq!(split.unvalidated(&labels, 4), [2]);
        // Every example exactly once, each list ascending.
        let mut all: Vec<usize> = split
            .train
            .iter()
            .chain(&split.validation)
            .copied()
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
        assert!(split.train.is_sorted() && split.validation.is_sorted());
        // The same seed gives the same split, another seed (almost surely) another.
        assert_eq!(split, Split::stratified(&labels, 4, 0.15, 42).unwrap());
        let other = Split::stratified(&labels, 4, 0.15, 43).unwrap();
        assert_ne!(split.validation, other.validation);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert_eq!(
            Split::stratified(&[0, 0, 0], 1, 0.15, 0),
            Err(TeachError::TooFewClasses { found: 1 })
        );
        assert_eq!(
            Split::stratified(&[0, 0, 2], 3, 0.15, 0),
            Err(TeachError::EmptyClass { class: 1 })
        );
        assert_eq!(
            Split::stratified(&[0, 1, 5], 2, 0.15, 0),
            Err(TeachError::LabelOutOfRange {
                label: 5,
                num_classes: 2
            })
        );
        assert!(matches!(
            Split::stratified(&[0, 1], 2, 1.0, 0),
            Err(TeachError::BadSetting { .. })
        ));
    }
}
