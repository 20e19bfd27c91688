//! Reports: human and machine renderings of runs (timelines; space-time
//! diagrams, HTML and JUnit come later). Knows traces and histories, not how
//! they were produced.

pub mod causality;
pub mod html;
pub mod layout;
pub mod linview;
pub mod pretty;
pub mod shiviz;
pub mod svg;
pub mod text;
pub mod timeline;
pub mod view;
