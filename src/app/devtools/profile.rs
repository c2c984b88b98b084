//! Where the time of a forward pass goes (bench mode `&profile`): the first variant runs part
//! by part — stem, each block's expansion, depthwise convolution, squeeze-excite, projection
//! and shortcut, then the head — with a one-element readback after each part, so the time
//! between readbacks is that part's (GPU) work plus a constant sync overhead, measured apart
//! and subtracted.

use std::collections::BTreeMap;

use burn::tensor::Tensor;
use effnet::EfficientNet;
use effnet::model::Part;
use effnet::stats::median;

use crate::app::platform::js;
use crate::app::state::bench::ProfileRow;

/// Waits until `x` is computed (reads one element back) and returns the time.
async fn sync<const D: usize>(x: &Tensor<D>) -> Result<f64, String> {
    let one = x.clone().flatten::<1>(0, D - 1).slice([0..1]);
    one.into_data_async().await.map_err(|e| format!("{e:?}"))?;
    Ok(js::now())
}

/// Profiles `model` on `input` (already on the device) over `runs` passes after one warm-up.
pub async fn profile(
    model: &EfficientNet,
    input: Tensor<4>,
    runs: usize,
) -> Result<(f64, Vec<ProfileRow>), String> {
    // Sync overhead: readbacks of an already computed tensor.
    let ready = model.step(0, input.clone());
    sync(&ready).await?;
    let mut overheads = Vec::new();
    for _ in 0..5 {
        let t = js::now();
        overheads.push(sync(&ready).await? - t);
    }
    let overhead = median(&overheads).unwrap_or(0.0);

    let mut per_run: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for run in 0..=runs {
        let mut sums: BTreeMap<&'static str, f64> = BTreeMap::new();
        let mut tally =
            |name: &'static str, start: f64, end: f64, sums: &mut BTreeMap<&'static str, f64>| {
                *sums.entry(name).or_default() += (end - start - overhead).max(0.0);
                if run == 0 {
                    *counts.entry(name).or_default() += 1;
                }
            };
        let mut t = sync(&input).await?;
        let mut x = model.step(0, input.clone());
        let now = sync(&x).await?;
        tally("stem 3×3", t, now, &mut sums);
        t = now;
        for block in &model.blocks {
            let block_input = x.clone();
            for part in Part::ALL.into_iter().filter(|&p| block.has_part(p)) {
                x = block.forward_part(part, x);
                let now = sync(&x).await?;
                tally(part.name(), t, now, &mut sums);
                t = now;
            }
            if block.residual {
                x = block.finish(x, block_input);
                let now = sync(&x).await?;
                tally("shortcut add", t, now, &mut sums);
                t = now;
            }
        }
        let out = model.finish(x);
        let now = sync(&out.logits).await?;
        tally("head 1×1 + pool + classifier", t, now, &mut sums);
        if run > 0 {
            for (name, ms) in sums {
                per_run.entry(name).or_default().push(ms);
            }
        }
    }
    let mut rows: Vec<ProfileRow> = per_run
        .into_iter()
        .map(|(name, times)| ProfileRow {
            name: name.to_string(),
            ms: median(&times).unwrap_or(0.0),
            share: 0.0,
            count: counts.get(name).copied().unwrap_or(0),
        })
        .collect();
    let total: f64 = rows.iter().map(|r| r.ms).sum();
    for r in &mut rows {
        r.share = if total > 0.0 { r.ms / total } else { 0.0 };
    }
    rows.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    Ok((overhead, rows))
}
