//! A description of a network for people: stages, parameters and FLOPs, computed from the
//! same [`EfficientNetConfig::blocks`] that builds the network.

use serde::Serialize;

use crate::config::{BASE_STAGES, EfficientNetConfig};

/// One row of the architecture table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageRow {
    /// `Conv3x3` (stem), `MBConv6 k5x5`, `Conv1x1 + pool + FC` (head).
    pub operator: String,
    pub kernel: usize,
    pub stride: usize,
    pub expand_ratio: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub repeats: usize,
    /// Side of the square input to this stage.
    pub in_resolution: usize,
    /// Side of the square output of this stage.
    pub out_resolution: usize,
    pub params: u64,
    /// Multiply-adds at the variant's resolution.
    pub flops: u64,
}

/// Everything the panel shows about one configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Description {
    pub name: String,
    pub width: f64,
    pub depth: f64,
    pub resolution: usize,
    pub dropout: f64,
    pub stages: Vec<StageRow>,
    /// Trainable parameters (conv, BN scale and shift, SE and classifier weights and biases).
    pub params: u64,
    /// Multiply-adds of all convolutions and the classifier at `resolution`.
    pub flops: u64,
}

fn conv_out(size: usize, stride: usize) -> usize {
    // Symmetric (k-1)/2 padding with odd k and TF SAME padding both give ceil(size / stride).
    size.div_ceil(stride)
}

/// Parameters and multiply-adds of a bias-free conv followed by batch norm.
fn conv_bn(in_c: usize, out_c: usize, k: usize, groups: usize, out_res: usize) -> (u64, u64) {
    let weights = (out_c * in_c / groups * k * k) as u64;
    (
        weights + 2 * out_c as u64,
        weights * (out_res * out_res) as u64,
    )
}

impl EfficientNetConfig {
    /// The architecture table, parameters and FLOPs at this configuration's resolution.
    pub fn describe(&self) -> Description {
        self.describe_at(self.resolution)
    }

    /// As [`describe`](Self::describe), at another input resolution.
    pub fn describe_at(&self, resolution: usize) -> Description {
        let mut stages = Vec::new();
        let mut res = resolution;

        let stem_out = conv_out(res, 2);
        let (p, f) = conv_bn(3, self.stem_channels(), 3, 1, stem_out);
        stages.push(StageRow {
            operator: "Conv3x3".into(),
            kernel: 3,
            stride: 2,
            expand_ratio: 1,
            in_channels: 3,
            out_channels: self.stem_channels(),
            repeats: 1,
            in_resolution: res,
            out_resolution: stem_out,
            params: p,
            flops: f,
        });
        res = stem_out;

        let blocks = self.blocks();
        for (s, base) in BASE_STAGES.iter().enumerate() {
            let stage_blocks: Vec<_> = blocks.iter().filter(|b| b.stage == s + 1).collect();
            let first = stage_blocks[0];
            let in_res = res;
            let (mut params, mut flops) = (0u64, 0u64);
            for b in &stage_blocks {
                let out_res = conv_out(res, b.stride);
                let e = b.expanded_channels;
                if b.expand_ratio != 1 {
                    let (p, f) = conv_bn(b.in_channels, e, 1, 1, res);
                    params += p;
                    flops += f;
                }
                let (p, f) = conv_bn(e, e, b.kernel, e, out_res);
                params += p;
                flops += f;
                if let Some(sq) = b.se_channels {
                    params += (2 * e * sq + sq + e) as u64;
                    flops += (2 * e * sq) as u64;
                }
                let (p, f) = conv_bn(e, b.out_channels, 1, 1, out_res);
                params += p;
                flops += f;
                res = out_res;
            }
            stages.push(StageRow {
                operator: format!(
                    "MBConv{} k{}x{}",
                    base.expand_ratio, base.kernel, base.kernel
                ),
                kernel: base.kernel,
                stride: base.stride,
                expand_ratio: base.expand_ratio,
                in_channels: first.in_channels,
                out_channels: first.out_channels,
                repeats: stage_blocks.len(),
                in_resolution: in_res,
                out_resolution: res,
                params,
                flops,
            });
        }

        let last = blocks
            .last()
            .map_or(self.stem_channels(), |b| b.out_channels);
        let head = self.head_channels();
        let (p, f) = conv_bn(last, head, 1, 1, res);
        let fc_params = (head * self.num_classes + self.num_classes) as u64;
        stages.push(StageRow {
            operator: "Conv1x1 + pool + FC".into(),
            kernel: 1,
            stride: 1,
            expand_ratio: 1,
            in_channels: last,
            out_channels: head,
            repeats: 1,
            in_resolution: res,
            out_resolution: 1,
            params: p + fc_params,
            flops: f + (head * self.num_classes) as u64,
        });

        Description {
            name: self.name.clone(),
            width: self.width,
            depth: self.depth,
            resolution,
            dropout: self.dropout,
            params: stages.iter().map(|s| s.params).sum(),
            flops: stages.iter().map(|s| s.flops).sum(),
            stages,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Variant;

    #[test]
    fn b0_table_matches_the_paper() {
        let d = Variant::B0.config().describe();
        let res: Vec<_> = d.stages.iter().map(|s| s.out_resolution).collect();
        assert_eq!(res, [112, 112, 56, 28, 14, 14, 7, 7, 1]);
        let chans: Vec<_> = d.stages.iter().map(|s| s.out_channels).collect();
        assert_eq!(chans, [32, 16, 24, 40, 80, 112, 192, 320, 1280]);
        // The paper gives 0.39 B FLOPs (multiply-adds) for B0 at 224.
        assert!((385_000_000..395_000_000).contains(&d.flops), "{}", d.flops);
    }
}
