//! The components. They read state and call actions; they write no shared signal themselves.

pub mod activation_map;
pub mod backend_panel;
pub mod compare;
pub mod format;
pub mod image_input;
pub mod image_view;
pub mod offline_status;
pub mod page;
pub mod predictions;
pub mod roving;
pub mod scaling;
pub mod switching;
pub mod variant_switcher;
pub mod variants;
pub mod webcam;

pub use page::Page;
