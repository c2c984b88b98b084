//! Training the head: feature normalisation, the seeded initial weights, and the training loop
//! (burn's autodiff and its Adam optimiser), one epoch at a time.

use burn::module::Param;
use burn::nn::Linear;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

use super::TeachError;
use super::metrics::check_rows;
use super::rng::{Purpose, SplitMix64};
use super::split::Split;

/// Everything that decides what a head becomes, besides the examples. The defaults are
/// Teachable Machine's (50 epochs, batch 16, Adam at 0.001, 15 % held out per class).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    /// Passes over the training examples.
    pub epochs: usize,
    /// Examples per optimiser step; the last batch of an epoch holds what is left.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Adam's β₁, β₂ and ε (ε added to the square root of the bias-corrected second moment,
    /// as PyTorch's `torch.optim.Adam(eps=…)` does).
    pub beta_1: f64,
    pub beta_2: f64,
    pub epsilon: f64,
    /// L2 regularisation: the loss minimised is the batch's mean cross-entropy plus
    /// `l2 × Σ weight²` over the weight matrix only (the bias is not regularised). Not Adam's
    /// weight decay: a term of the loss, as in Keras' `l2` regulariser.
    pub l2: f64,
    /// The share of each class held out for validation ([`Split::validation_count`]).
    pub validation: f64,
    /// Seeds the split, the initial weights and the shuffling ([`crate::teach::rng`]).
    pub seed: u64,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            epochs: 50,
            batch_size: 16,
            learning_rate: 0.001,
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-7,
            l2: 0.001,
            validation: Split::DEFAULT_VALIDATION,
            seed: 0,
        }
    }
}

impl TrainSettings {
    /// An error naming the first setting that cannot train anything.
    pub fn check(&self) -> Result<(), TeachError> {
        let bad = |name: &'static str, why: &str| {
            Err(TeachError::BadSetting {
                name,
                why: why.to_string(),
            })
        };
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if self.batch_size == 0 {
            return bad("batch size", "must be at least 1");
        }
        if !positive(self.learning_rate) {
            return bad("learning rate", "must be a positive number");
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return bad("l2", "must be a number ≥ 0");
        }
        if !(0.0..1.0).contains(&self.beta_1) || !(0.0..1.0).contains(&self.beta_2) {
            return bad("Adam's betas", "must be in [0, 1)");
        }
        if !positive(self.epsilon) {
            return bad("Adam's epsilon", "must be a positive number");
        }
        if !(0.0..1.0).contains(&self.validation) {
            return bad("validation fraction", "must be in [0, 1)");
        }
        Ok(())
    }
}

/// Per-dimension standardisation of features: `(x − mean) / std`, with the mean and standard
/// deviation of the training examples.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalization {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Normalization {
    /// Added to each dimension's variance before its square root, so a dimension that is
    /// constant in the training examples (a dead ReLU6 channel) divides by 0.01, not by 0.
    pub const VARIANCE_EPSILON: f64 = 1e-4;

    /// The mean and `sqrt(variance + VARIANCE_EPSILON)` (population variance) of each of the
    /// `dim` dimensions over the rows of `features` listed in `rows`, computed in f64.
    pub fn fit(features: &[f32], dim: usize, rows: &[usize]) -> Result<Self, TeachError> {
        if dim == 0 || !features.len().is_multiple_of(dim) {
            return Err(TeachError::NotRows {
                len: features.len(),
                dim,
            });
        }
        let n = features.len() / dim;
        if let Some(&row) = rows.iter().find(|&&r| r >= n) {
            return Err(TeachError::NoSuchRow { row, rows: n });
        }
        if rows.is_empty() {
            return Err(TeachError::NoTrainingExamples);
        }
        let count = rows.len() as f64;
        let mut mean = vec![0f64; dim];
        for &r in rows {
            for (m, &x) in mean.iter_mut().zip(&features[r * dim..(r + 1) * dim]) {
                *m += x as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= count);
        let mut var = vec![0f64; dim];
        for &r in rows {
            let row = &features[r * dim..(r + 1) * dim];
            for ((v, &x), m) in var.iter_mut().zip(row).zip(&mean) {
                *v += (x as f64 - m).powi(2);
            }
        }
        Ok(Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std: var
                .iter()
                .map(|&v| (v / count + Self::VARIANCE_EPSILON).sqrt() as f32)
                .collect(),
        })
    }

    /// How many dimensions it standardises.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Standardises every row of `features` in place (in f32: `(x − mean) / std`).
    pub fn apply(&self, features: &mut [f32]) {
        for row in features.chunks_exact_mut(self.dim()) {
            for ((x, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
                *x = (*x - m) / s;
            }
        }
    }
}

/// The seeded initial head for `dim` features and `num_classes` classes: the weight
/// `[dim, num_classes]` (row-major, row = feature) Glorot-uniform, each value
/// `((2u − 1) × sqrt(6 / (dim + num_classes)))` rounded to f32 for successive `u` of the
/// [`Purpose::Init`] stream; the bias zero.
pub fn initial_head(dim: usize, num_classes: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let mut rng = SplitMix64::for_purpose(seed, Purpose::Init);
    let limit = (6.0 / (dim + num_classes) as f64).sqrt();
    let weight = (0..dim * num_classes)
        .map(|_| ((2.0 * rng.unit() - 1.0) * limit) as f32)
        .collect();
    (weight, vec![0.0; num_classes])
}

/// Trains a linear softmax classifier on (normalised) features with burn's autodiff and Adam,
/// one epoch per [`Trainer::epoch`] call, so a caller can report progress between epochs.
///
/// Each epoch shuffles the training examples' order (a fresh Fisher–Yates shuffle of
/// `0..n` from the [`Purpose::Shuffle`] stream, continued from epoch to epoch), cuts it into
/// batches of [`TrainSettings::batch_size`] (the last one shorter) and takes one Adam step per
/// batch on [`TrainSettings::l2`]'s loss. It runs on any device (burn's CPU backend natively and
/// in the browser: no threads); values are read back only for an epoch's loss and the final
/// weights, each in one place ([`read`]).
pub struct Trainer {
    model: Linear,
    optimizer: ModuleOptimizer,
    features: Tensor<2>,
    targets: Tensor<2>,
    examples: usize,
    settings: TrainSettings,
    rng: SplitMix64,
    losses: Vec<f32>,
    device: Device,
}

impl Trainer {
    /// A trainer on `features` (`labels.len()` rows of `dim`, already normalised), labels in
    /// `0..num_classes`, starting from [`initial_head`] of `settings.seed`. `device` is the
    /// backend to compute on; autodiff is enabled on it here.
    pub fn new(
        features: &[f32],
        dim: usize,
        labels: &[usize],
        num_classes: usize,
        settings: &TrainSettings,
        device: &Device,
    ) -> Result<Self, TeachError> {
        settings.check()?;
        check_rows(features, dim, labels.len())?;
        if labels.is_empty() {
            return Err(TeachError::NoTrainingExamples);
        }
        if let Some(&label) = labels.iter().find(|&&l| l >= num_classes) {
            return Err(TeachError::LabelOutOfRange { label, num_classes });
        }
        let device = device.clone().autodiff();
        let (weight, bias) = initial_head(dim, num_classes, settings.seed);
        let model = Linear {
            weight: Param::from_tensor(Tensor::from_data(
                TensorData::new(weight, [dim, num_classes]),
                &device,
            )),
            bias: Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(bias, [num_classes]),
                &device,
            ))),
        };
        let mut onehot = vec![0f32; labels.len() * num_classes];
        for (i, &l) in labels.iter().enumerate() {
            onehot[i * num_classes + l] = 1.0;
        }
        let optimizer = AdamConfig::new()
            .with_beta_1(settings.beta_1 as f32)
            .with_beta_2(settings.beta_2 as f32)
            .with_epsilon(settings.epsilon as f32)
            .init();
        Ok(Self {
            model,
            optimizer,
            features: Tensor::from_data(
                TensorData::new(features.to_vec(), [labels.len(), dim]),
                &device,
            ),
            targets: Tensor::from_data(
                TensorData::new(onehot, [labels.len(), num_classes]),
                &device,
            ),
            examples: labels.len(),
            settings: settings.clone(),
            rng: SplitMix64::for_purpose(settings.seed, Purpose::Shuffle),
            losses: Vec::new(),
            device,
        })
    }

    /// Runs the next epoch and returns its loss: the mean over its batches of the loss each
    /// step minimised, weighted by batch size (measured before each step).
    pub fn epoch(&mut self) -> Result<f32, TeachError> {
        let total = self.run_epoch();
        let loss = read(total)?[0];
        self.losses.push(loss);
        Ok(loss)
    }

    /// As [`Trainer::epoch`], reading the loss back asynchronously (what WebGPU in a browser
    /// needs).
    pub async fn epoch_async(&mut self) -> Result<f32, TeachError> {
        let total = self.run_epoch();
        let loss = read_async(total).await?[0];
        self.losses.push(loss);
        Ok(loss)
    }

    /// The epochs run so far.
    pub fn epochs_done(&self) -> usize {
        self.losses.len()
    }

    /// Whether all of [`TrainSettings::epochs`] have run.
    pub fn is_done(&self) -> bool {
        self.epochs_done() >= self.settings.epochs
    }

    /// Each epoch's loss so far.
    pub fn losses(&self) -> &[f32] {
        &self.losses
    }

    /// The head's weight `[dim, num_classes]` (row-major) and bias as they are now.
    pub fn weights(&self) -> Result<(Vec<f32>, Vec<f32>), TeachError> {
        let (w, b) = self.weight_tensors();
        Ok((read(w)?, read(b)?))
    }

    /// As [`Trainer::weights`], read back asynchronously.
    pub async fn weights_async(&self) -> Result<(Vec<f32>, Vec<f32>), TeachError> {
        let (w, b) = self.weight_tensors();
        Ok((read_async(w).await?, read_async(b).await?))
    }

    fn weight_tensors(&self) -> (Tensor<2>, Tensor<1>) {
        let bias = self.model.bias.as_ref().expect("the head has a bias");
        (
            self.model.weight.val().without_autodiff(),
            bias.val().without_autodiff(),
        )
    }

    /// One epoch's steps; the loss summed over examples, divided by their number, not yet read.
    fn run_epoch(&mut self) -> Tensor<1> {
        let mut order: Vec<usize> = (0..self.examples).collect();
        self.rng.shuffle(&mut order);
        let mut total: Option<Tensor<1>> = None;
        for batch in order.chunks(self.settings.batch_size) {
            let rows: Vec<i64> = batch.iter().map(|&i| i as i64).collect();
            let rows =
                Tensor::<1, Int>::from_data(TensorData::new(rows, [batch.len()]), &self.device);
            let x = self.features.clone().select(0, rows.clone());
            let y = self.targets.clone().select(0, rows);
            let log_p = log_softmax(self.model.forward(x), 1);
            let cross_entropy = (log_p * y).sum_dim(1).mean().neg();
            let penalty = self
                .model
                .weight
                .val()
                .square()
                .sum()
                .mul_scalar(self.settings.l2);
            let loss = cross_entropy + penalty;
            let weighted = loss
                .clone()
                .without_autodiff()
                .mul_scalar(batch.len() as f64);
            total = Some(match total {
                Some(t) => t + weighted,
                None => weighted,
            });
            let grads = GradientsParams::from_grads(loss.backward(), &self.model);
            let model = self.model.clone();
            self.model = self
                .optimizer
                .step(self.settings.learning_rate, model, grads);
        }
        total
            .expect("at least one batch")
            .div_scalar(self.examples as f64)
    }
}

/// Reads a tensor back as f32 values (the one synchronous readback of training).
pub(super) fn read<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, TeachError> {
    let data = t
        .try_into_data()
        .map_err(|e| TeachError::Backend(format!("{e:?}")))?;
    data.try_into_vec::<f32>()
        .map_err(|e| TeachError::Backend(format!("{e:?}")))
}

/// As [`read`], asynchronously.
pub(super) async fn read_async<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, TeachError> {
    let data = t
        .into_data_async()
        .await
        .map_err(|e| TeachError::Backend(format!("{e:?}")))?;
    data.try_into_vec::<f32>()
        .map_err(|e| TeachError::Backend(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_standardises_the_training_rows() {
        // Two dimensions over rows 0 and 2 (row 1 is not training): mean (2, 5), variance
        // (1, 0): the constant dimension divides by sqrt(1e-4) = 0.01.
        let features = [1.0, 5.0, 100.0, 100.0, 3.0, 5.0];
        let norm = Normalization::fit(&features, 2, &[0, 2]).unwrap();
        assert_eq!(norm.mean, [2.0, 5.0]);
        assert!((norm.std[0] - (1.0f64 + 1e-4).sqrt() as f32).abs() < 1e-7);
        assert!((norm.std[1] - 0.01).abs() < 1e-7);
        let mut rows = [3.0, 5.01];
        norm.apply(&mut rows);
        assert!((rows[0] - 1.0).abs() < 1e-4 && (rows[1] - 1.0).abs() < 1e-3);
        assert!(Normalization::fit(&features, 2, &[]).is_err());
        assert!(Normalization::fit(&features, 4, &[0]).is_err());
    }

    #[test]
    fn the_initial_head_is_seeded_glorot_uniform() {
        let (w, b) = initial_head(30, 3, 5);
        assert_eq!((w.len(), b), (90, vec![0.0; 3]));
        let limit = (6.0f64 / 33.0).sqrt() as f32;
        assert!(w.iter().all(|x| x.abs() <= limit));
        assert_eq!(w, initial_head(30, 3, 5).0);
        assert_ne!(w, initial_head(30, 3, 6).0);
    }

    #[test]
    fn bad_settings_are_named() {
        let mut s = TrainSettings::default();
        assert_eq!(s.check(), Ok(()));
        s.batch_size = 0;
        assert!(matches!(
            s.check(),
            Err(TeachError::BadSetting {
                name: "batch size",
                ..
            })
        ));
    }
}
