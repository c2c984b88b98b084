//! The image picker: file chooser and the bundled samples (drop and paste work anywhere on the
//! page: `actions::image::install_listeners`).

use leptos::prelude::*;

use crate::app::actions::App;

use crate::app::actions::image::{submit_blob, submit_sample};

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

/// File picker and sample gallery (the top of the stage's image panel).
/// `children`: more input modes, laid into the row after the file button (the webcam).
#[component]
pub fn ImageInput(children: Children) -> impl IntoView {
    let app = expect_context::<App>();
    let state = app.state;
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            let name = file.name();
            submit_blob(app, file.into(), name);
        }
        // Picking the same file again must fire `change` again.
        input.set_value("");
    };
    view! {
        <div class="input-row">
            <label class="button file">
                "Choose a photo…"
                <input type="file" accept="image/*" class="sr-only" data-testid="file-input" on:change=on_change/>
            </label>
            {children()}
            <div class="gallery" data-testid="gallery" role="group" aria-label="Sample photos">
                {SAMPLES
                    .into_iter()
                    .map(|(file, title)| {
                        view! {
                            <button
                                class="sample"
                                class:current=move || state.sample.get() == Some(file)
                                aria-pressed=move || (state.sample.get() == Some(file)).to_string()
                                title=title
                                aria-label=format!("Classify the sample photo: {title}")
                                data-testid=format!("sample-{file}")
                                on:click=move |_| submit_sample(app, file)
                            >
                                <img src=thumbnail(file) alt="" loading="lazy"/>
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
        </div>
        <p class="hint">"…or drop or paste one anywhere on the page."</p>
        <p class="input-name" data-testid="input-name" data-generation=move || state.screen.with(|s| s.generation.to_string())>
            {move || state.screen.with(|s| s.input.as_ref().map(|n| format!("Input: {n}")).unwrap_or_default())}
        </p>
    }
}
