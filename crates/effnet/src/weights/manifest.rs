//! The manifest the page reads: which weights exist, where they come from, how to feed them.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::web::Precision;
use super::{Source, WeightsError};
use crate::config::Padding;
use crate::preprocess::Preprocessing;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub weights: Vec<ManifestEntry>,
}

/// One converted weights file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Configuration name: `b0`…`b7`, `lite0`…`lite4`.
    pub variant: String,
    /// File name, relative to the manifest.
    pub file: String,
    pub source: Source,
    /// Where the checkpoint came from (package, URL or "random initialisation").
    pub origin: String,
    pub license: String,
    /// Hex sha256 of `file`.
    pub sha256: String,
    pub bytes: u64,
    pub precision: Precision,
    pub padding: Padding,
    pub bn_eps: f64,
    pub num_classes: usize,
    pub preprocessing: Preprocessing,
    /// Every stored format of these weights (each precision once), `file`'s among them;
    /// manifests written before there was a choice have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formats: Vec<WeightsFormat>,
}

/// The weights in one precision: one file, or that file's bytes cut into shards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsFormat {
    pub precision: Precision,
    /// The whole file's name (when sharded, the name the shards make together).
    pub file: String,
    /// Size and hex sha256 of the whole file.
    pub bytes: u64,
    pub sha256: String,
    /// The whole file's bytes in order, each shard a file beside the manifest; empty: `file`
    /// itself is stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<Shard>,
}

/// A piece of a weights file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shard {
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

/// What is wrong with one shard.
#[derive(Debug, Clone, PartialEq)]
pub enum ShardProblem {
    /// It could not be read (the reason).
    Unreadable(String),
    /// Its bytes are not the manifest's.
    Corrupt { expected: String, found: String },
}

impl WeightsFormat {
    /// The format of `bytes` stored as `file`, in shards of at most `max_shard` bytes when it
    /// is bigger (`None`: one file). Returns the format and each shard's bytes (none when one
    /// file).
    pub fn cut<'a>(
        precision: Precision,
        file: &str,
        bytes: &'a [u8],
        max_shard: Option<usize>,
    ) -> (WeightsFormat, Vec<&'a [u8]>) {
        let pieces: Vec<&[u8]> = match max_shard {
            Some(max) if bytes.len() > max => bytes.chunks(max.max(1)).collect(),
            _ => Vec::new(),
        };
        let n = pieces.len();
        let stem = file.strip_suffix(".safetensors").unwrap_or(file);
        let shards = pieces
            .iter()
            .enumerate()
            .map(|(i, piece)| Shard {
                file: format!("{stem}-{}of{n}.shard", i + 1),
                bytes: piece.len() as u64,
                sha256: sha256_hex(piece),
            })
            .collect();
        let format = WeightsFormat {
            precision,
            file: file.to_string(),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            shards,
        };
        (format, pieces)
    }

    /// The whole file from its shards (each read by `read`, checked against its sha256), or
    /// from `read(file)` when it is not sharded; the result is checked against the whole
    /// file's sha256. A shard that cannot be read or is corrupt is named in the error.
    pub fn assemble(
        &self,
        mut read: impl FnMut(&str) -> Result<Vec<u8>, String>,
    ) -> Result<Vec<u8>, WeightsError> {
        let bytes = if self.shards.is_empty() {
            read(&self.file).map_err(WeightsError::Unreadable)?
        } else {
            let mut all = Vec::with_capacity(self.bytes as usize);
            for shard in &self.shards {
                let piece = read(&shard.file).map_err(|why| WeightsError::Shard {
                    file: shard.file.clone(),
                    problem: ShardProblem::Unreadable(why),
                })?;
                shard.verify(&piece)?;
                all.extend_from_slice(&piece);
            }
            all
        };
        let found = sha256_hex(&bytes);
        if found != self.sha256 {
            return Err(WeightsError::Checksum {
                expected: self.sha256.clone(),
                found,
            });
        }
        Ok(bytes)
    }

    /// The pieces this format is stored in: its shards, or the one file.
    pub fn pieces(&self) -> Vec<Shard> {
        if self.shards.is_empty() {
            vec![Shard {
                file: self.file.clone(),
                bytes: self.bytes,
                sha256: self.sha256.clone(),
            }]
        } else {
            self.shards.clone()
        }
    }

    /// Every file this format is stored in.
    pub fn files(&self) -> Vec<&str> {
        if self.shards.is_empty() {
            vec![self.file.as_str()]
        } else {
            self.shards.iter().map(|s| s.file.as_str()).collect()
        }
    }
}

impl Shard {
    /// Fails, naming the shard, unless `bytes` are its bytes.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), WeightsError> {
        let found = sha256_hex(bytes);
        if found == self.sha256 {
            Ok(())
        } else {
            Err(WeightsError::Shard {
                file: self.file.clone(),
                problem: ShardProblem::Corrupt {
                    expected: self.sha256.clone(),
                    found,
                },
            })
        }
    }
}

impl Default for Manifest {
    fn default() -> Self {
        Self {
            version: 1,
            weights: Vec::new(),
        }
    }
}

impl Manifest {
    pub fn parse(json: &str) -> Result<Self, WeightsError> {
        serde_json::from_str(json).map_err(|e| WeightsError::Unreadable(format!("manifest: {e}")))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serialises")
    }

    /// Replaces the entry for the same variant, or adds it; keeps entries sorted by variant.
    pub fn upsert(&mut self, entry: ManifestEntry) {
        self.weights.retain(|e| e.variant != entry.variant);
        self.weights.push(entry);
        self.weights.sort_by(|a, b| a.variant.cmp(&b.variant));
    }

    pub fn get(&self, variant: &str) -> Option<&ManifestEntry> {
        self.weights.iter().find(|e| e.variant == variant)
    }

    /// The manifest as a page that prefers `precision` reads it: each entry that has a format
    /// in it names that format as its own (`file`, `bytes`, `sha256`, `precision`); the others
    /// are as they were.
    pub fn in_precision(mut self, precision: Precision) -> Manifest {
        for entry in &mut self.weights {
            if let Some(format) = entry.format(precision) {
                entry.file = format.file.clone();
                entry.bytes = format.bytes;
                entry.sha256 = format.sha256.clone();
                entry.precision = precision;
            }
        }
        self
    }

    /// The format stored under the (whole) file name `file`, and its variant's entry.
    pub fn format_named(&self, file: &str) -> Option<(&ManifestEntry, &WeightsFormat)> {
        self.weights
            .iter()
            .find_map(|e| e.formats.iter().find(|f| f.file == file).map(|f| (e, f)))
    }
}

/// Lower-case hex sha256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl ManifestEntry {
    /// The stored formats: `formats`, or (in a manifest from before there was a choice) the
    /// one file the entry names.
    pub fn stored_formats(&self) -> Vec<WeightsFormat> {
        if !self.formats.is_empty() {
            return self.formats.clone();
        }
        vec![self.one_file()]
    }

    /// The entry's own file as a format of one file.
    fn one_file(&self) -> WeightsFormat {
        WeightsFormat {
            precision: self.precision,
            file: self.file.clone(),
            bytes: self.bytes,
            sha256: self.sha256.clone(),
            shards: Vec::new(),
        }
    }

    /// The stored format in `precision`.
    pub fn format(&self, precision: Precision) -> Option<WeightsFormat> {
        self.stored_formats()
            .into_iter()
            .find(|f| f.precision == precision)
    }

    /// The format the entry names as its own (with its shards, when it has them).
    pub fn own_format(&self) -> WeightsFormat {
        self.format(self.precision)
            .filter(|f| f.file == self.file && f.sha256 == self.sha256)
            .unwrap_or_else(|| self.one_file())
    }

    /// Adds `format` (replacing the one in the same precision).
    pub fn add_format(&mut self, format: WeightsFormat) {
        if self.formats.is_empty() && format.precision != self.precision {
            self.formats = self.stored_formats();
        }
        self.formats.retain(|f| f.precision != format.precision);
        self.formats.push(format);
        self.formats.sort_by_key(|f| f.bytes);
    }

    /// Fails with [`WeightsError::Checksum`] unless `bytes` are this entry's file.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), WeightsError> {
        let found = sha256_hex(bytes);
        if found == self.sha256 {
            Ok(())
        } else {
            Err(WeightsError::Checksum {
                expected: self.sha256.clone(),
                found,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(
        format: &WeightsFormat,
        shards: &[&[u8]],
    ) -> std::collections::HashMap<String, Vec<u8>> {
        format
            .shards
            .iter()
            .zip(shards)
            .map(|(s, b)| (s.file.clone(), b.to_vec()))
            .collect()
    }

    #[test]
    fn shards_reassemble_the_file_and_name_the_one_that_is_wrong() {
        let bytes: Vec<u8> = (0..2500u32).map(|i| (i * 7 % 251) as u8).collect();
        let (format, shards) =
            WeightsFormat::cut(Precision::Q8, "lite0.q8.safetensors", &bytes, Some(1000));
        assert_eq!(shards.len(), 3);
        assert_eq!(
            format.files(),
            [
                "lite0.q8-1of3.shard",
                "lite0.q8-2of3.shard",
                "lite0.q8-3of3.shard"
            ]
        );
        assert_eq!(
            format.shards.iter().map(|s| s.bytes).collect::<Vec<_>>(),
            [1000, 1000, 500]
        );
        let mut files = pieces(&format, &shards);
        let read = |files: &std::collections::HashMap<String, Vec<u8>>| {
            let files = files.clone();
            move |f: &str| {
                files
                    .get(f)
                    .cloned()
                    .ok_or_else(|| "no such file".to_string())
            }
        };
        assert_eq!(format.assemble(read(&files)).unwrap(), bytes);

        files.get_mut("lite0.q8-2of3.shard").unwrap()[10] ^= 1;
        match format.assemble(read(&files)).unwrap_err() {
            WeightsError::Shard {
                file,
                problem: ShardProblem::Corrupt { .. },
            } => {
                assert_eq!(file, "lite0.q8-2of3.shard")
            }
            other => panic!("{other}"),
        }
        files.remove("lite0.q8-3of3.shard");
        files.insert("lite0.q8-2of3.shard".into(), shards[1].to_vec());
        let err = format.assemble(read(&files)).unwrap_err();
        assert!(
            matches!(&err, WeightsError::Shard { file, problem: ShardProblem::Unreadable(_) } if file == "lite0.q8-3of3.shard"),
            "{err}"
        );
        assert!(err.to_string().contains("lite0.q8-3of3.shard"), "{err}");

        // A file no bigger than a shard stays one file.
        let (one, none) = WeightsFormat::cut(Precision::F16, "b0.safetensors", &bytes, Some(4096));
        assert!(none.is_empty() && one.shards.is_empty());
        assert_eq!(one.files(), ["b0.safetensors"]);
        assert_eq!(one.pieces().len(), 1);
        assert_eq!(one.pieces()[0].sha256, one.sha256);
        assert_eq!(format.pieces(), format.shards);
    }

    #[test]
    fn formats_are_added_beside_the_entrys_own_file() {
        let mut entry = ManifestEntry {
            variant: "lite0".into(),
            file: "lite0.safetensors".into(),
            source: Source::Lukemelas,
            origin: "o".into(),
            license: "l".into(),
            sha256: "ab".into(),
            bytes: 10,
            precision: Precision::F16,
            padding: Padding::Symmetric,
            bn_eps: 1e-3,
            num_classes: 1000,
            preprocessing: Preprocessing::lite(224),
            formats: Vec::new(),
        };
        assert_eq!(entry.stored_formats().len(), 1);
        let (q8, _) =
            WeightsFormat::cut(Precision::Q8, "lite0.q8.safetensors", &[1, 2, 3], Some(2));
        entry.add_format(q8.clone());
        assert_eq!(entry.stored_formats().len(), 2);
        assert_eq!(entry.format(Precision::Q8), Some(q8));
        assert_eq!(
            entry.format(Precision::F16).unwrap().file,
            "lite0.safetensors"
        );
        // The same precision again replaces it.
        let (q8b, _) = WeightsFormat::cut(Precision::Q8, "lite0.q8.safetensors", &[4, 5, 6], None);
        entry.add_format(q8b.clone());
        assert_eq!(entry.stored_formats().len(), 2);
        assert_eq!(entry.format(Precision::Q8), Some(q8b.clone()));
        assert_eq!(entry.own_format().precision, Precision::F16);

        // A page that prefers q8 reads the q8 format as the entry's own; f32 is not there.
        let manifest = Manifest {
            version: 1,
            weights: vec![entry.clone()],
        };
        let q8 = manifest.clone().in_precision(Precision::Q8);
        assert_eq!(q8.weights[0].own_format(), q8b);
        assert_eq!(manifest.clone().in_precision(Precision::F32), manifest);
    }
}
