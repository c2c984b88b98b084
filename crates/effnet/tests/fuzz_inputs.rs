#![cfg(feature = "decode")]
//! Mutation fuzzing of what reads untrusted files: the header readers (`image_header`, used by
//! the page before decoding), the decoders (`image_file`, the CLI's and the page's JPEGs) and
//! the head files `effnet teach` writes (`teach::Head::decode`).
//! Seeds: the sample photos and small images of every format encoded here; mutations: flipped,
//! overwritten, inserted and deleted bytes, truncation, extreme sizes written into the headers.
//! Whatever the bytes, nothing panics and decoding ends in a picture or an error.
//!
//! Bounded in the test suite (`EFFNET_FUZZ_ITERS`, default 3000 header cases per seed and 150
//! decodes per seed); run longer as a bench, e.g.
//! `EFFNET_FUZZ_ITERS=200000 cargo test --release -p effnet --test fuzz_inputs -- --nocapture`.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use effnet::image_file::decode_image;
use effnet::image_header::{self, Format};
use effnet::preprocess::Preprocessing;
use effnet::teach::{Backbone, Head, Normalization, TrainSettings};
use image::{DynamicImage, ImageFormat, RgbImage as ImgRgb};

/// xorshift64*: a reproducible stream of random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn iterations() -> usize {
    std::env::var("EFFNET_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

fn encoded(format: ImageFormat, w: u32, h: u32) -> Vec<u8> {
    let img = ImgRgb::from_fn(w, h, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 13) as u8, ((x + y) * 3) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .expect("encode");
    out.into_inner()
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../static/samples");
    let mut seeds: Vec<(String, Vec<u8>)> = ["rocket.jpg", "camera.png"]
        .iter()
        .map(|f| {
            (
                f.to_string(),
                std::fs::read(root.join(f)).expect("sample photo"),
            )
        })
        .collect();
    for (name, format) in [
        ("small.jpg", ImageFormat::Jpeg),
        ("small.png", ImageFormat::Png),
        ("small.gif", ImageFormat::Gif),
        ("small.webp", ImageFormat::WebP),
        ("small.bmp", ImageFormat::Bmp),
    ] {
        seeds.push((name.to_string(), encoded(format, 37, 23)));
    }
    seeds
}

/// One random change to `bytes`; biased towards the first bytes, where the headers are.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let span = if rng.below(4) == 0 {
        bytes.len()
    } else {
        bytes.len().min(64)
    };
    let at = rng.below(span);
    match rng.below(7) {
        0 if !bytes.is_empty() => {
            let (i, bit) = (at.min(bytes.len() - 1), rng.below(8));
            bytes[i] ^= 1 << bit;
        }
        1 if !bytes.is_empty() => {
            let (i, v) = (at.min(bytes.len() - 1), rng.next() as u8);
            bytes[i] = v;
        }
        2 => bytes.insert(at.min(bytes.len()), rng.next() as u8),
        3 if !bytes.is_empty() => {
            bytes.remove(at.min(bytes.len() - 1));
        }
        4 => bytes.truncate(rng.below(bytes.len() + 1)),
        5 => {
            // An extreme 16- or 32-bit value (a size field): 0, 1, 0xFFFF, 0xFFFFFFFF, …
            let v: u32 = [0, 1, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF][rng.below(6)];
            for (i, b) in v
                .to_be_bytes()
                .iter()
                .enumerate()
                .take(2 + 2 * rng.below(2))
            {
                if let Some(slot) = bytes.get_mut(at + i) {
                    *slot = *b;
                }
            }
        }
        _ => {
            let n = rng.below(16);
            bytes.splice(
                at.min(bytes.len())..at.min(bytes.len()),
                (0..n).map(|_| rng.next() as u8),
            );
        }
    }
}

#[test]
fn header_readers_agree_with_the_decoders_on_the_seeds() {
    for (name, bytes) in seeds() {
        let header = image_header::read(&bytes).unwrap_or_else(|| panic!("{name}: not recognised"));
        let image = decode_image(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = match header.format {
            Format::Jpeg | Format::Png | Format::Gif | Format::WebP | Format::Bmp => {
                (image.width as u32, image.height as u32)
            }
            other => panic!("{name}: unexpected format {other:?}"),
        };
        assert_eq!(header.size, Some(expected), "{name}");
    }
}

#[test]
fn header_readers_never_panic_on_mutated_files() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let n = iterations();
    for (name, seed) in seeds() {
        for i in 0..n {
            let mut bytes = seed.clone();
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut bytes);
            }
            // Readers see a prefix of the file (the page reads the first 256 KiB).
            let prefix = &bytes[..bytes.len().min(1 + rng.below(bytes.len().max(1)))];
            for input in [&bytes[..], prefix] {
                let got = catch_unwind(AssertUnwindSafe(|| image_header::read(input)));
                assert!(
                    got.is_ok(),
                    "{name} case {i}: image_header::read panicked on {:02x?}",
                    &input[..input.len().min(64)]
                );
            }
        }
    }
    // Random bytes, and random bytes behind each magic number.
    for i in 0..n {
        let len = rng.below(512);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let magic: &[u8] = [
            &b"\xFF\xD8\xFF"[..],
            b"\x89PNG\r\n\x1a\n",
            b"GIF89a",
            b"RIFF\0\0\0\0WEBP",
            b"BM",
            b"\0\0\0\x18ftypavif",
        ][i % 6];
        if i % 2 == 0 {
            bytes.splice(0..0, magic.iter().copied());
        }
        let got = catch_unwind(AssertUnwindSafe(|| image_header::read(&bytes)));
        assert!(
            got.is_ok(),
            "random case {i}: panicked on {:02x?}",
            &bytes[..bytes.len().min(64)]
        );
    }
}

#[test]
fn decoders_never_panic_on_mutated_files() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let n = (iterations() / 20).max(10);
    let (mut decoded, mut refused) = (0, 0);
    for (name, seed) in seeds() {
        for i in 0..n {
            let mut bytes = seed.clone();
            for _ in 0..1 + rng.below(3) {
                mutate(&mut rng, &mut bytes);
            }
            match catch_unwind(AssertUnwindSafe(|| decode_image(&bytes))) {
                Ok(Ok(image)) => {
                    assert!(
                        image.width > 0 && image.height > 0,
                        "{name} case {i}: empty picture"
                    );
                    decoded += 1;
                }
                Ok(Err(message)) => {
                    assert!(!message.is_empty());
                    refused += 1;
                }
                Err(_) => panic!(
                    "{name} case {i}: decode_image panicked on {:02x?}",
                    &bytes[..bytes.len().min(64)]
                ),
            }
        }
    }
    eprintln!("decoders: {decoded} mutated files decoded, {refused} refused, none panicked");
    assert!(
        decoded > 0 && refused > 0,
        "the mutations should produce both"
    );
}

/// A head file as `effnet teach` writes it: 3 classes over 16 features.
fn head_file() -> Vec<u8> {
    let dim = 16;
    Head {
        classes: vec!["zero".into(), "one".into(), "two".into()],
        backbone: Backbone {
            variant: "lite0".into(),
            weights_sha256: "5e".repeat(32),
        },
        preprocessing: Preprocessing::lite(224),
        normalization: Normalization {
            mean: (0..dim).map(|d| d as f32 * 0.1).collect(),
            std: vec![0.5; dim],
        },
        weight: (0..dim * 3).map(|i| (i as f32 * 0.37).sin()).collect(),
        bias: vec![0.1, 0.0, -0.1],
        settings: TrainSettings::default(),
        report: None,
    }
    .encode()
}

#[test]
fn the_head_decoder_never_panics_on_mutated_files() {
    let seed = head_file();
    assert!(Head::decode(&seed).is_ok());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut decoded, mut refused) = (0, 0);
    for i in 0..iterations() {
        let mut bytes = seed.clone();
        for _ in 0..1 + rng.below(3) {
            mutate(&mut rng, &mut bytes);
        }
        match catch_unwind(AssertUnwindSafe(|| Head::decode(&bytes))) {
            Ok(Ok(head)) => {
                assert!(head.num_classes() >= 2 && head.dim() > 0, "case {i}");
                decoded += 1;
            }
            Ok(Err(e)) => {
                assert!(!e.to_string().is_empty());
                refused += 1;
            }
            Err(_) => panic!(
                "case {i}: Head::decode panicked on {:02x?}",
                &bytes[..bytes.len().min(64)]
            ),
        }
    }
    // Every truncation is refused.
    for n in 0..seed.len() {
        assert!(Head::decode(&seed[..n]).is_err(), "truncated to {n} bytes");
    }
    eprintln!("head files: {decoded} mutated files decoded, {refused} refused, none panicked");
    assert!(refused > 0);
}
