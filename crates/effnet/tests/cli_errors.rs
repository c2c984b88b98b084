//! Bad inputs to the CLI fail with a clear message and a non-zero exit, never a panic.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::*;

/// Lite0 weights in web format, converted once for these tests.
fn lite0_web() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = scratch("cli_errors");
        let out = dir.join("lite0.safetensors");
        let conv = effnet([
            "convert",
            "--variant",
            "lite0",
            path_str(&lite_checkpoint(0)),
            path_str(&out),
        ]);
        assert!(conv.status.success(), "{}", stderr(&conv));
        out
    })
    .clone()
}

fn classify_fails_with(image: &std::path::Path, expected: &str) {
    let weights = lite0_web();
    fails_with(
        &[
            "classify",
            "--variant",
            "lite0",
            "--weights",
            path_str(&weights),
            path_str(image),
        ],
        expected,
    );
}

#[test]
fn bad_images() {
    let dir = scratch("bad_images");
    let empty = dir.join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    classify_fails_with(&empty, "empty (0 bytes)");

    let text = dir.join("notes.jpg");
    std::fs::write(&text, "this is a text file, not a photo\n").unwrap();
    classify_fails_with(&text, "not an image");

    let jpeg = std::fs::read(sample("rocket.jpg")).unwrap();
    let truncated = dir.join("truncated.jpg");
    std::fs::write(&truncated, &jpeg[..jpeg.len() / 3]).unwrap();
    classify_fails_with(&truncated, "cannot be decoded as Jpeg");

    let png = std::fs::read(sample("coffee.png")).unwrap();
    let truncated = dir.join("truncated.png");
    std::fs::write(&truncated, &png[..png.len() / 2]).unwrap();
    classify_fails_with(&truncated, "cannot be decoded as Png");

    classify_fails_with(&dir.join("no-such-photo.png"), "cannot read");
}

#[test]
fn one_bad_image_does_not_stop_the_others() {
    let dir = scratch("mixed_images");
    let empty = dir.join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let weights = lite0_web();
    let good = sample("coffee.png");
    let out = effnet([
        "classify",
        "--variant",
        "lite0",
        "--weights",
        path_str(&weights),
        path_str(&empty),
        path_str(&good),
    ]);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("espresso"), "{}", stdout(&out));
    assert!(stderr(&out).contains("1 of 2 image(s) could not be classified"));
}

#[test]
fn no_resize_needs_the_exact_size() {
    let weights = lite0_web();
    fails_with(
        &[
            "classify",
            "--variant",
            "lite0",
            "--weights",
            path_str(&weights),
            "--no-resize",
            path_str(&sample("coffee.png")),
        ],
        "must be exactly 224×224",
    );
}

#[test]
fn weights_for_another_variant() {
    let lite0 = lite_checkpoint(0);
    let dir = scratch("wrong_variant");
    fails_with(
        &[
            "convert",
            "--variant",
            "lite1",
            path_str(&lite0),
            path_str(&dir.join("x.safetensors")),
        ],
        "does not fit EfficientNet-Lite1",
    );
    fails_with(
        &[
            "classify",
            "--variant",
            "lite1",
            "--weights",
            path_str(&lite0),
            path_str(&sample("coffee.png")),
        ],
        "missing",
    );
    fails_with(
        &[
            "classify",
            "--variant",
            "lite2",
            "--weights",
            path_str(&lite0_web()),
            path_str(&sample("coffee.png")),
        ],
        "these weights are for lite0, not lite2",
    );
    fails_with(
        &[
            "convert",
            "--variant",
            "b0",
            "--source",
            "torchvision",
            path_str(&lite0),
            path_str(&dir.join("y.safetensors")),
        ],
        "do not belong to the torchvision naming",
    );
}

#[test]
fn bad_weights_files_and_names() {
    let dir = scratch("bad_weights");
    let junk = dir.join("junk.pth");
    std::fs::write(&junk, "not a checkpoint").unwrap();
    let photo = sample("coffee.png");
    fails_with(
        &[
            "classify",
            "--variant",
            "lite0",
            "--weights",
            path_str(&junk),
            path_str(&photo),
        ],
        "neither web-format weights nor a PyTorch checkpoint",
    );
    let web = std::fs::read(lite0_web()).unwrap();
    let cut = dir.join("cut.safetensors");
    std::fs::write(&cut, &web[..web.len() / 2]).unwrap();
    fails_with(
        &[
            "classify",
            "--variant",
            "lite0",
            "--weights",
            path_str(&cut),
            path_str(&photo),
        ],
        "PyTorch checkpoint",
    );
    fails_with(
        &[
            "classify",
            "--variant",
            "lite0",
            "--weights",
            path_str(&dir.join("absent")),
            path_str(&photo),
        ],
        "cannot read",
    );
    fails_with(
        &[
            "classify",
            "--variant",
            "b9",
            "--weights",
            path_str(&junk),
            path_str(&photo),
        ],
        "unknown variant 'b9'",
    );
    fails_with(
        &[
            "convert",
            "--variant",
            "b0",
            "--source",
            "keras",
            path_str(&junk),
            path_str(&junk),
        ],
        "unknown source 'keras'",
    );
}

#[test]
fn bench_on_a_device_this_build_lacks_says_how_to_get_it() {
    // The default build has no wgpu (the `cube` feature brings it).
    fails_with(
        &["bench", "--device", "wgpu", "--variants", "lite0"],
        "built without the `cube` feature",
    );
    fails_with(
        &["bench", "--device", "tpu", "--variants", "lite0"],
        "unknown device 'tpu' (expected cpu or wgpu)",
    );
}
