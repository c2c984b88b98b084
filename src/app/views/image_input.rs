//! The image picker: file chooser and the bundled samples (drop and paste work anywhere on the
//! page: `actions::image::install_listeners`).

use leptos::prelude::*;

use crate::app::actions::image::{submit_blob, submit_sample};
use crate::app::state::AppState;

/// The bundled photos (static/samples; see static/ATTRIBUTION.md).
pub const SAMPLES: [(&str, &str); 5] = [
    ("chelsea.png", "a cat (Chelsea)"),
    ("coffee.png", "a cup of coffee"),
    ("camera.png", "the cameraman"),
    ("astronaut.png", "an astronaut (Eileen Collins)"),
    ("rocket.jpg", "a rocket launch"),
];

/// The gallery's small copy of a sample (static/samples/thumbs, made by
/// tools/make_static_data.py): the full photo is fetched only when it is chosen.
fn thumbnail(file: &str) -> String {
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    format!("static/samples/thumbs/{stem}.jpg")
}

/// File picker and sample gallery.
#[component]
pub fn ImageInput() -> impl IntoView {
    let state = expect_context::<AppState>();
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            let name = file.name();
            submit_blob(state, file.into(), name);
        }
        // Picking the same file again must fire `change` again.
        input.set_value("");
    };
    view! {
        <section class="panel inputs" aria-label="Image">
            <h2>"Image"</h2>
            <p class="hint">"Choose a file, drop one anywhere on the page, paste one (Ctrl+V), or try a sample."</p>
            <label class="file">
                "Choose an image… "
                <input type="file" accept="image/*" data-testid="file-input" on:change=on_change/>
            </label>
            <div class="gallery" data-testid="gallery">
                {SAMPLES
                    .into_iter()
                    .map(|(file, title)| {
                        view! {
                            <button
                                class="sample"
                                title=title
                                data-testid=format!("sample-{file}")
                                on:click=move |_| submit_sample(state, file)
                            >
                                <img src=thumbnail(file) alt=title loading="lazy"/>
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <p class="input-name" data-testid="input-name">
                {move || state.input.get().map(|n| format!("Input: {n}")).unwrap_or_default()}
            </p>
        </section>
    }
}
