//! The one WebGPU start-up, on the page's thread or in the engine's worker: the browser's
//! adapter, then burn's device on it, which the engine keeps.

use crate::app::engine::Engine;
use crate::app::platform::gpu;
use crate::app::state::activity::StartStep;
use crate::app::state::backend::GpuStart;

/// Starts burn on WebGPU for `engine` when `asked` (`step` hears each step, for the status
/// line). A second call on the same engine reports the adapter again without starting burn a
/// second time (which would be an error).
pub async fn start(engine: &Engine, asked: bool, step: impl Fn(StartStep)) -> GpuStart {
    if !asked {
        return GpuStart::NotAsked;
    }
    step(StartStep::LookingForGpu);
    let info = match gpu::probe_adapter().await {
        Ok(info) => info,
        Err(why) => return GpuStart::Unavailable(why.to_string()),
    };
    if engine
        .device(crate::app::state::backend::BackendKind::WebGpu)
        .is_some()
    {
        return GpuStart::Ready(info);
    }
    step(StartStep::StartingGpu);
    match gpu::init_wgpu().await {
        Ok(device) => {
            engine.set_gpu(device);
            GpuStart::Ready(info)
        }
        Err(why) => GpuStart::Failed(format!(
            "burn could not start on WebGPU ({}): {why}",
            info.summary()
        )),
    }
}
