//! faultline's JSON history: one event object per line, or one array.

use super::FormatError;
use crate::history::{Event, History};

pub fn parse(text: &str) -> Result<(History, Vec<usize>), FormatError> {
    let mut history = History::new();
    let mut lines = Vec::new();
    if text.trim_start().starts_with('[') {
        let events: Vec<Event> =
            serde_json::from_str(text).map_err(|e| FormatError { line: e.line(), message: e.to_string() })?;
        if events.len() > super::MAX_HISTORY_EVENTS {
            return Err(super::too_many_events(1));
        }
        // Line numbers inside an array are not tracked; events are numbered.
        lines = (1..=events.len()).collect();
        history.events = events;
        return Ok((history, lines));
    }
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let event: Event =
            serde_json::from_str(line).map_err(|e| FormatError { line: i + 1, message: e.to_string() })?;
        if history.events.len() == super::MAX_HISTORY_EVENTS {
            return Err(super::too_many_events(i + 1));
        }
        history.events.push(event);
        lines.push(i + 1);
    }
    Ok((history, lines))
}
