//! Teaching from start to end: split, normalise, train epoch by epoch, score the head and the
//! nearest-class-mean baseline on the held-out examples.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::TeachError;
use super::head::{Backbone, Head};
use super::metrics::{Metrics, NearestClassMean, check_rows};
use super::split::Split;
use super::train::{Normalization, TrainSettings, Trainer};
use crate::preprocess::Preprocessing;

/// What teaching measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Training and validation examples per class.
    pub train_per_class: Vec<usize>,
    pub validation_per_class: Vec<usize>,
    /// Each validation example, in index order, with what the head and the baseline made of it.
    pub validation: Vec<Scored>,
    /// The head's scores on the validation examples.
    pub head: Metrics,
    /// The nearest-class-mean baseline's scores on the same examples (class means of the
    /// normalised training features).
    pub ncm: Metrics,
    /// Each epoch's loss ([`Trainer::epoch`]).
    pub losses: Vec<f32>,
}

/// One validation example's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Its index among the examples given to [`Teaching::new`].
    pub example: usize,
    pub truth: usize,
    /// The head's prediction.
    pub predicted: usize,
    /// The nearest-class-mean prediction.
    pub ncm: usize,
}

/// One teaching run: made from every example's features, stepped with [`Teaching::epoch`]
/// until [`Teaching::is_done`], then [`Teaching::finish`]ed into a head and its report.
pub struct Teaching {
    classes: Vec<String>,
    labels: Vec<usize>,
    dim: usize,
    split: Split,
    normalization: Normalization,
    /// The validation examples' raw features, in [`Split::validation`] order.
    validation: Vec<f32>,
    ncm: NearestClassMean,
    trainer: Trainer,
    settings: TrainSettings,
}

impl Teaching {
    /// Splits the examples (`labels.len()` rows of `dim` raw features in `features`, labels in
    /// `0..classes.len()`), fits the normalisation and the baseline on the training split and
    /// sets up the trainer on `device`.
    pub fn new(
        classes: Vec<String>,
        features: &[f32],
        dim: usize,
        labels: Vec<usize>,
        settings: TrainSettings,
        device: &Device,
    ) -> Result<Self, TeachError> {
        settings.check()?;
        check_rows(features, dim, labels.len())?;
        let k = classes.len();
        let split = Split::stratified(&labels, k, settings.validation, settings.seed)?;
        let normalization = Normalization::fit(features, dim, &split.train)?;
        let rows = |indices: &[usize]| -> Vec<f32> {
            indices
                .iter()
                .flat_map(|&i| &features[i * dim..(i + 1) * dim])
                .copied()
                .collect()
        };
        let mut train = rows(&split.train);
        normalization.apply(&mut train);
        let train_labels: Vec<usize> = split.train.iter().map(|&i| labels[i]).collect();
        let ncm = NearestClassMean::fit(&train, dim, &train_labels, k)?;
        let trainer = Trainer::new(&train, dim, &train_labels, k, &settings, device)?;
        Ok(Self {
            validation: rows(&split.validation),
            classes,
            labels,
            dim,
            split,
            normalization,
            ncm,
            trainer,
            settings,
        })
    }

    /// Which examples train and which validate.
    pub fn split(&self) -> &Split {
        &self.split
    }

    /// The trainer (its epochs so far and their losses).
    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    /// Runs the next epoch; its loss.
    pub fn epoch(&mut self) -> Result<f32, TeachError> {
        self.trainer.epoch()
    }

    /// As [`Teaching::epoch`], reading the loss back asynchronously.
    pub async fn epoch_async(&mut self) -> Result<f32, TeachError> {
        self.trainer.epoch_async().await
    }

    /// Whether every epoch of the settings has run.
    pub fn is_done(&self) -> bool {
        self.trainer.is_done()
    }

    /// The head as trained so far (all epochs, when [`Teaching::is_done`]) for `backbone` and
    /// `preprocessing`, with its report.
    pub fn finish(
        self,
        backbone: Backbone,
        preprocessing: Preprocessing,
    ) -> Result<(Head, Report), TeachError> {
        let (weight, bias) = self.trainer.weights()?;
        self.conclude(weight, bias, backbone, preprocessing)
    }

    /// As [`Teaching::finish`], reading the weights back asynchronously.
    pub async fn finish_async(
        self,
        backbone: Backbone,
        preprocessing: Preprocessing,
    ) -> Result<(Head, Report), TeachError> {
        let (weight, bias) = self.trainer.weights_async().await?;
        self.conclude(weight, bias, backbone, preprocessing)
    }

    fn conclude(
        self,
        weight: Vec<f32>,
        bias: Vec<f32>,
        backbone: Backbone,
        preprocessing: Preprocessing,
    ) -> Result<(Head, Report), TeachError> {
        let k = self.classes.len();
        let mut head = Head {
            classes: self.classes,
            backbone,
            preprocessing,
            normalization: self.normalization,
            weight,
            bias,
            settings: self.settings,
            report: None,
        };
        let mut validation = Vec::with_capacity(self.split.validation.len());
        for (&example, raw) in self
            .split
            .validation
            .iter()
            .zip(self.validation.chunks_exact(self.dim))
        {
            let mut normalised = raw.to_vec();
            head.normalization.apply(&mut normalised);
            validation.push(Scored {
                example,
                truth: self.labels[example],
                predicted: head.predict(raw)?,
                ncm: self.ncm.predict(&normalised),
            });
        }
        let truth: Vec<usize> = validation.iter().map(|s| s.truth).collect();
        let column = |f: fn(&Scored) -> usize| validation.iter().map(f).collect::<Vec<_>>();
        let report = Report {
            train_per_class: self.split.train_counts(&self.labels, k),
            validation_per_class: self.split.validation_counts(&self.labels, k),
            head: Metrics::from_predictions(&truth, &column(|s| s.predicted), k)?,
            ncm: Metrics::from_predictions(&truth, &column(|s| s.ncm), k)?,
            validation,
            losses: self.trainer.losses().to_vec(),
        };
        head.report = Some(report.clone());
        Ok((head, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teach::rng::SplitMix64;

    /// `per_class` examples of each of 3 classes: 8 features around a class centre.
    fn examples(per_class: usize) -> (Vec<f32>, Vec<usize>) {
        let mut rng = SplitMix64::new(99);
        let (mut features, mut labels) = (Vec::new(), Vec::new());
        for i in 0..3 * per_class {
            let class = i % 3;
            labels.push(class);
            for d in 0..8 {
                let centre = if d % 3 == class { 2.0 } else { 0.0 };
                features.push(centre + rng.unit() as f32);
            }
        }
        (features, labels)
    }

    fn teach(features: &[f32], labels: &[usize], seed: u64) -> (Head, Report) {
        let classes = vec!["a".to_string(), "b".into(), "c".into()];
        let settings = TrainSettings {
            seed,
            epochs: 20,
            learning_rate: 0.01,
            ..TrainSettings::default()
        };
        let device = Device::default();
        let mut teaching =
            Teaching::new(classes, features, 8, labels.to_vec(), settings, &device).unwrap();
        while !teaching.is_done() {
            teaching.epoch().unwrap();
        }
        let backbone = Backbone {
            variant: "lite0".into(),
            weights_sha256: "00".repeat(32),
        };
        teaching.finish(backbone, Preprocessing::lite(224)).unwrap()
    }

    #[test]
    fn teaching_learns_separable_classes_and_reports_consistently() {
        let (features, labels) = examples(20);
        let (head, report) = teach(&features, &labels, 3);
        assert_eq!(report.train_per_class, [17, 17, 17]);
        assert_eq!(report.validation_per_class, [3, 3, 3]);
        assert_eq!(report.losses.len(), 20);
        assert!(
            report.losses[19] < report.losses[0] / 2.0,
            "{:?}",
            report.losses
        );
        assert_eq!(report.head.accuracy, Some(1.0));
        assert_eq!(report.ncm.accuracy, Some(1.0));
        // The report's predictions are the head's on those examples' features.
        for s in &report.validation {
            let row = &features[s.example * 8..(s.example + 1) * 8];
            assert_eq!(head.predict(row).unwrap(), s.predicted);
            assert_eq!(labels[s.example], s.truth);
        }
        assert_eq!(head.report.as_ref(), Some(&report));
        // Identical inputs, identical head; another seed, another split and head.
        assert_eq!(teach(&features, &labels, 3).0, head);
        assert_ne!(teach(&features, &labels, 4).0.weight, head.weight);
    }
}
