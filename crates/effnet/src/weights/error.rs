use std::fmt;

use super::manifest::ShardProblem;

/// Why weights could not be loaded.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsError {
    /// The file could not be read or parsed at all.
    Unreadable(String),
    /// A key that belongs to none of the supported namings.
    UnknownKeys { source: String, keys: Vec<String> },
    /// The tensors do not fit the network.
    Mismatch {
        missing: Vec<String>,
        unexpected: Vec<String>,
        errors: Vec<String>,
    },
    /// The file is not for the network it was asked to fill.
    WrongVariant { expected: String, found: String },
    /// sha256 differs from the manifest.
    Checksum { expected: String, found: String },
    /// One shard of a sharded weights file is missing, unreadable or corrupt.
    Shard { file: String, problem: ShardProblem },
}

fn list(items: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut s = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOWN {
        s.push_str(&format!(", … ({} more)", items.len() - SHOWN));
    }
    s
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable(why) => write!(f, "cannot read the weights: {why}"),
            Self::UnknownKeys { source, keys } => write!(
                f,
                "{} key(s) do not belong to the {source} naming: {}",
                keys.len(),
                list(keys)
            ),
            Self::Mismatch {
                missing,
                unexpected,
                errors,
            } => {
                write!(f, "the weights do not fit this network")?;
                if !missing.is_empty() {
                    write!(
                        f,
                        "; {} tensor(s) missing: {}",
                        missing.len(),
                        list(missing)
                    )?;
                }
                if !unexpected.is_empty() {
                    write!(
                        f,
                        "; {} unexpected tensor(s): {}",
                        unexpected.len(),
                        list(unexpected)
                    )?;
                }
                if !errors.is_empty() {
                    write!(f, "; {} wrong: {}", errors.len(), list(errors))?;
                }
                Ok(())
            }
            Self::WrongVariant { expected, found } => {
                write!(f, "these weights are for {found}, not {expected}")
            }
            Self::Checksum { expected, found } => write!(
                f,
                "the weights file is corrupt: sha256 {found} does not match the manifest's {expected}"
            ),
            Self::Shard { file, problem } => match problem {
                ShardProblem::Unreadable(why) => {
                    write!(f, "the weights shard {file} cannot be read: {why}")
                }
                ShardProblem::Corrupt { expected, found } => write!(
                    f,
                    "the weights shard {file} is corrupt: sha256 {found} does not match the manifest's {expected}"
                ),
            },
        }
    }
}

impl std::error::Error for WeightsError {}
