//! Class activation maps: the last feature map weighted by one class's classifier weights.

use burn::tensor::Tensor;

use super::EfficientNet;

impl EfficientNet {
    /// The class activation map of `class` for `features` (`[batch, channels, h, w]`, from
    /// [`EfficientNet::forward_with_features`]): `Σ_c W[c, class] · features[:, c]`, shape
    /// `[batch, h, w]`. Its spatial mean plus the class bias is the class's logit.
    pub fn class_activation_map(&self, features: Tensor<4>, class: usize) -> Tensor<3> {
        let [b, c, h, w] = features.dims();
        // burn's Linear weight is [d_input, d_output].
        let weights = self
            .classifier
            .weight
            .val()
            .slice([0..c, class..class + 1])
            .reshape([1, c, 1, 1]);
        // A network computing in f16 hands its features back in f32.
        let weights = super::network::to_dtype(weights, features.dtype());
        (features * weights).sum_dim(1).reshape([b, h, w])
    }
}

impl EfficientNet {
    /// The maps of several classes for one image (`features` is `[1, channels, h, w]`):
    /// `[classes.len(), h, w]`, in the order given.
    pub fn class_activation_maps(&self, features: Tensor<4>, classes: &[usize]) -> Tensor<3> {
        let maps = classes
            .iter()
            .map(|&class| self.class_activation_map(features.clone(), class))
            .collect();
        Tensor::cat(maps, 0)
    }
}
