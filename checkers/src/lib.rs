//! Histories and the checkers that judge them.
//!
//! A leaf crate: it knows nothing of the simulator, so it can judge histories
//! recorded from real systems as well as simulated ones.

pub mod causal;
pub mod formats;
pub mod history;
pub mod lin;

pub use history::{Event, EventType, History, HistoryError, Operation, Value};
