//! Folders of labelled images (one sub-folder per class), as `teach` and `evaluate` read them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::classify::Classifier;
use crate::image_file::read_image;

/// One class's sub-folder.
pub(super) struct ClassFolder {
    /// The sub-folder's name.
    pub name: String,
    /// Its entries, sorted by name.
    pub files: Vec<PathBuf>,
}

/// A file left out, and why.
#[derive(Serialize)]
pub(super) struct Skipped {
    pub file: String,
    pub reason: String,
}

/// The images that could be read, through the network.
pub(super) struct Ran {
    /// Each image's class (index into the folders) and path, in the order of `rows`.
    pub examples: Vec<(usize, PathBuf)>,
    /// One row per image, as many values each as the network's output has.
    pub rows: Vec<f32>,
    pub skipped: Vec<Skipped>,
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    Ok(paths)
}

/// The sub-folders of `dir`, sorted by name. Files directly in `dir` are skipped with a line on
/// stderr each.
pub(super) fn class_folders(dir: &Path) -> Result<Vec<ClassFolder>, String> {
    let mut folders = Vec::new();
    for path in sorted_entries(dir)? {
        if !path.is_dir() {
            eprintln!(
                "effnet: skipping {}: not a class folder (classes are the sub-folders of {})",
                path.display(),
                dir.display()
            );
            continue;
        }
        folders.push(ClassFolder {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            files: sorted_entries(&path)?,
        });
    }
    Ok(folders)
}

/// Every readable image of `folders` through `classifier`, `batch` images per pass, `run`
/// giving a batch's output rows. A file that is not a readable image (or a folder) is skipped
/// with a line on stderr naming it.
pub(super) fn run_images(
    folders: &[ClassFolder],
    classifier: &Classifier,
    batch: usize,
    run: impl Fn(&Classifier, Vec<f32>) -> Result<Vec<f32>, String>,
) -> Result<Ran, String> {
    let mut ran = Ran {
        examples: Vec::new(),
        rows: Vec::new(),
        skipped: Vec::new(),
    };
    let mut pending = Vec::new();
    let flush = |pending: &mut Vec<f32>, rows: &mut Vec<f32>| -> Result<(), String> {
        if !pending.is_empty() {
            rows.extend(run(classifier, std::mem::take(pending))?);
        }
        Ok(())
    };
    let mut in_batch = 0;
    for (class, folder) in folders.iter().enumerate() {
        for file in &folder.files {
            let image = if file.is_dir() {
                Err("a folder inside a class folder".to_string())
            } else {
                read_image(file)
            };
            match image {
                Ok(img) => {
                    pending.extend(classifier.preprocessing.apply(&img).0);
                    ran.examples.push((class, file.clone()));
                    in_batch += 1;
                    if in_batch == batch.max(1) {
                        flush(&mut pending, &mut ran.rows)?;
                        in_batch = 0;
                    }
                }
                Err(reason) => {
                    // read_image's messages start with the path.
                    let path = file.display().to_string();
                    let reason = reason
                        .strip_prefix(&format!("{path}: "))
                        .unwrap_or(&reason)
                        .to_string();
                    eprintln!("effnet: skipping {path}: {reason}");
                    ran.skipped.push(Skipped { file: path, reason });
                }
            }
        }
    }
    flush(&mut pending, &mut ran.rows)?;
    Ok(ran)
}
