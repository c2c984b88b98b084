//! Every knob the address can turn (`?variant=b0&view=compare`, bench and test switches), read
//! once at start-up into [`Options`]. Nothing else reads the address; the engine gets its part
//! ([`EngineOptions`]) when it is made, so no inference looks at the URL.

use effnet::Variant;

use super::Tab;
use super::backend::HalfChoice;

/// How the depthwise layers run (`?dw=`, `?dwlayout=`; the page's own kernels by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum DepthwiseChoice {
    /// Our kernels: CubeCL on WebGPU (channels-last output), the core's Flex kernel on the CPU.
    #[default]
    Kernel,
    /// `?dwlayout=nchw`: the WebGPU kernel writing NCHW.
    KernelNchw,
    /// `?dw=grouped`: burn's grouped convolution.
    Grouped,
    /// `?dw=shift`: the shift-and-add formulation.
    ShiftAdd,
}

/// What the engine needs to know (all bench knobs; the defaults are what visitors get).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EngineOptions {
    /// Crop and normalise on the GPU when WebGPU runs (`?prep=cpu` keeps it on the CPU).
    pub gpu_preprocess: bool,
    /// `?prepcheck`: hand every run's input to the dev tools' check.
    pub check_inputs: bool,
    pub depthwise: DepthwiseChoice,
    /// `?silu=sigmoid`: SiLU as x·sigmoid(x) with burn's operations on the CPU.
    pub silu_sigmoid: bool,
    /// `?act=burn`: the CPU's activations with burn's operations, not the core's kernel.
    pub burn_activations: bool,
    /// `?simd=off`: the CPU's matrix products without wasm SIMD.
    pub wasm_simd: bool,
    /// `?f16=on|off`: when networks compute in f16 (on WebGPU with `shader-f16` by default).
    pub f16: HalfChoice,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            gpu_preprocess: true,
            check_inputs: false,
            depthwise: DepthwiseChoice::Kernel,
            silu_sigmoid: false,
            burn_activations: false,
            wasm_simd: true,
            f16: HalfChoice::Auto,
        }
    }
}

/// Bench mode (`?bench&variants=lite0,b0&runs=5&input=640x480&profile&soak=100&backend=`).
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// `?variants=`; `None`: every pretrained variant and B0.
    pub variants: Option<Result<Vec<Variant>, String>>,
    pub runs: usize,
    /// `?input=WxH`: the gradient's size instead of the variant's input size.
    pub input: Result<Option<(usize, usize)>, String>,
    pub profile: bool,
    pub soak: Option<usize>,
    /// `?backend=`: what the bench expects to run on (an error row when the page runs elsewhere).
    pub backend: Option<String>,
}

/// The address's knobs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Options {
    /// `?variant=`: the variant shown first (Lite0 otherwise).
    pub variant: Option<Variant>,
    /// `?view=classify|compare|scaling`.
    pub tab: Option<Tab>,
    /// `?backend=cpu` (WebGPU is not tried) or `?backend=webgpu` (WebGPU, even where the CPU
    /// is measured faster): a backend that stands.
    pub backend: Option<super::backend::BackendKind>,
    /// `?warmup=off`: the page does not open on a classified sample (whose run is also the
    /// network's cold one).
    pub warm_up: bool,
    /// `?weights=q8|f16|f32`: load each variant's weights in that precision where the manifest
    /// has them (each variant's own format otherwise).
    pub weights: Option<effnet::weights::web::Precision>,
    /// The networks run in the engine's Web Worker; `?worker=off` (and the dev tools that
    /// read the network itself: `?prepcheck`, `?bench&profile`) keep them on the page's thread.
    pub worker: bool,
    pub engine: EngineOptions,
    /// `Some` in bench mode (`?bench`).
    pub bench: Option<BenchOptions>,
}

const DEFAULT_BENCH_RUNS: usize = 3;

impl Options {
    /// Reads the knobs through `param` (the address's query parameter of that name, if any).
    pub fn parse(param: impl Fn(&str) -> Option<String>) -> Self {
        let is = |name: &str, value: &str| param(name).as_deref() == Some(value);
        let depthwise = match param("dw").as_deref() {
            Some("shift") => DepthwiseChoice::ShiftAdd,
            Some("grouped") => DepthwiseChoice::Grouped,
            _ if is("dwlayout", "nchw") => DepthwiseChoice::KernelNchw,
            _ => DepthwiseChoice::Kernel,
        };
        let engine = EngineOptions {
            gpu_preprocess: !is("prep", "cpu"),
            check_inputs: param("prepcheck").is_some(),
            depthwise,
            silu_sigmoid: is("silu", "sigmoid"),
            burn_activations: is("act", "burn"),
            wasm_simd: !is("simd", "off"),
            f16: match param("f16").as_deref() {
                Some("on") => HalfChoice::On,
                Some("off") => HalfChoice::Off,
                _ => HalfChoice::Auto,
            },
        };
        let bench = param("bench").is_some().then(|| BenchOptions {
            variants: param("variants")
                .filter(|l| !l.is_empty())
                .map(|l| parse_variants(&l)),
            runs: param("runs")
                .and_then(|r| r.parse().ok())
                .unwrap_or(DEFAULT_BENCH_RUNS),
            input: parse_input(param("input").filter(|t| !t.is_empty())),
            profile: param("profile").is_some(),
            soak: param("soak")
                .and_then(|n| n.parse().ok())
                .filter(|&n| n > 0),
            backend: param("backend").filter(|b| !b.is_empty()),
        });
        Self {
            weights: param("weights").and_then(|p| effnet::weights::web::Precision::parse(&p)),
            variant: param("variant").and_then(|v| Variant::parse(&v)),
            tab: param("view").and_then(|v| Tab::ALL.into_iter().find(|t| t.id() == v)),
            backend: match param("backend").as_deref() {
                Some("cpu") => Some(super::backend::BackendKind::Cpu),
                Some("webgpu") => Some(super::backend::BackendKind::WebGpu),
                _ => None,
            },
            warm_up: !is("warmup", "off"),
            worker: !(is("worker", "off")
                || engine.check_inputs
                || (param("bench").is_some() && param("profile").is_some())),
            engine,
            bench,
        }
    }
}

fn parse_variants(list: &str) -> Result<Vec<Variant>, String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| Variant::parse(s).ok_or_else(|| format!("unknown variant {s:?} in ?variants=")))
        .collect()
}

fn parse_input(text: Option<String>) -> Result<Option<(usize, usize)>, String> {
    let Some(text) = text else {
        return Ok(None);
    };
    let parsed = text
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<usize>().ok()?, h.parse::<usize>().ok()?)));
    match parsed {
        Some((w, h)) if (1..=4096).contains(&w) && (1..=4096).contains(&h) => Ok(Some((w, h))),
        _ => Err(format!(
            "?input={text}: expected WIDTHxHEIGHT, each 1 to 4096"
        )),
    }
}
