//! The safetensors container both of this crate's file formats use (the web weights,
//! [`crate::weights::web`], and the taught head, [`crate::teach::Head`]): 8 bytes of header
//! length (little-endian u64), a JSON header naming each tensor's dtype, shape and byte range,
//! with the string-valued `__metadata__`, then the data.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

/// One tensor's entry in the header.
#[derive(Debug, Deserialize)]
pub(crate) struct Entry {
    pub dtype: String,
    pub shape: Vec<usize>,
    pub data_offsets: [usize; 2],
}

impl Entry {
    /// The entry's bytes in `data`, or `None` when its range is not inside it.
    pub fn bytes<'a>(&self, data: &'a [u8]) -> Option<&'a [u8]> {
        let [start, end] = self.data_offsets;
        data.get(start..end).filter(|_| start <= end)
    }
}

/// A file taken apart: the header's tensor entries (still JSON), its metadata, the data.
pub(crate) type Parts<'a> = (BTreeMap<String, Value>, Value, &'a [u8]);

/// Takes a file apart; the error says what is wrong in a few words.
pub(crate) fn split(bytes: &[u8]) -> Result<Parts<'_>, &'static str> {
    if bytes.len() < 8 {
        return Err("too short");
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    let n = usize::try_from(n).map_err(|_| "truncated header")?;
    let header = bytes
        .get(8..8usize.saturating_add(n))
        .ok_or("truncated header")?;
    let data = &bytes[8 + n..];
    let mut header: BTreeMap<String, Value> =
        serde_json::from_slice(header).map_err(|_| "header is not JSON")?;
    let meta = header.remove("__metadata__").ok_or("no metadata")?;
    Ok((header, meta, data))
}

/// Writes a file from its tensor entries (each `{dtype, shape, data_offsets}` into `data`),
/// its metadata (string values) and the data; the header is padded with spaces to a multiple
/// of 8 bytes.
pub(crate) fn assemble(mut header: Map<String, Value>, metadata: Value, data: &[u8]) -> Vec<u8> {
    header.insert("__metadata__".into(), metadata);
    let mut header = serde_json::to_vec(&Value::Object(header)).expect("JSON of plain values");
    while !header.len().is_multiple_of(8) {
        header.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + data.len());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    out
}

/// The header entry of a tensor of `dtype` and `shape` at `start..end` of the data.
pub(crate) fn entry(dtype: &str, shape: &[usize], start: usize, end: usize) -> Value {
    serde_json::json!({ "dtype": dtype, "shape": shape, "data_offsets": [start, end] })
}
