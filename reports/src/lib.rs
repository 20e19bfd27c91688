//! Reports: human and machine renderings of runs (timelines; space-time
//! diagrams, HTML and JUnit come later). Knows traces and histories, not how
//! they were produced.

pub mod timeline;
