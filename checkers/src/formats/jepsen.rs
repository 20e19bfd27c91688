//! Jepsen's EDN histories, one operation map per line:
//! `{:type :invoke, :f :read, :value nil, :process 0, :time 123}`, with
//! `:cas` values `[old new]`, keyword / integer / string values, and an
//! optional `:key` (Porcupine's kv files are this with `:key` on every
//! line). Events of non-integer processes (`:nemesis`) are skipped; a
//! surrounding `[` ... `]` on the first/last line is tolerated.

use super::edn::{self, Edn};
use super::FormatError;
use crate::history::{Event, EventType, History, Value};

pub fn parse(text: &str, require_key: bool) -> Result<(History, Vec<usize>), FormatError> {
    let mut history = History::new();
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let mut line = raw.trim();
        line = line.strip_prefix('[').unwrap_or(line);
        line = line.strip_suffix(']').filter(|l| l.ends_with('}')).unwrap_or(line).trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        let err = |message| FormatError { line: i + 1, message };
        let map = edn::parse(line).map_err(err)?;
        if let Some(event) = to_event(&map, require_key).map_err(err)? {
            if history.events.len() == super::MAX_HISTORY_EVENTS {
                return Err(super::too_many_events(i + 1));
            }
            history.events.push(event);
            lines.push(i + 1);
        }
    }
    Ok((history, lines))
}

/// `Ok(None)` for an event to skip (a nemesis).
fn to_event(map: &Edn, require_key: bool) -> Result<Option<Event>, String> {
    if !matches!(map, Edn::Map(_)) {
        return Err("expected an operation map `{:type ..., :f ..., :process ...}`".into());
    }
    let process = match map.get("process") {
        Some(Edn::Int(p)) if *p >= 0 => *p as u64,
        Some(Edn::Int(p)) => return Err(format!(":process must be non-negative, got {p}")),
        Some(Edn::Keyword(_)) => return Ok(None),
        Some(other) => return Err(format!(":process must be an integer, got {other:?}")),
        None => return Err("missing :process".into()),
    };
    let kind = match map.get("type") {
        Some(Edn::Keyword(t)) => match t.as_str() {
            "invoke" => EventType::Invoke,
            "ok" => EventType::Ok,
            "fail" => EventType::Fail,
            "info" => EventType::Info,
            other => return Err(format!("unknown :type :{other} (expected :invoke, :ok, :fail or :info)")),
        },
        Some(other) => return Err(format!(":type must be a keyword, got {other:?}")),
        None => return Err("missing :type".into()),
    };
    let f = match map.get("f") {
        Some(Edn::Keyword(f)) | Some(Edn::Str(f)) | Some(Edn::Symbol(f)) => f.clone(),
        Some(other) => return Err(format!(":f must be a keyword, got {other:?}")),
        None => return Err("missing :f".into()),
    };
    let key = match map.get("key") {
        None if require_key => return Err("missing :key".into()),
        None | Some(Edn::Nil) => None,
        Some(Edn::Str(k)) | Some(Edn::Keyword(k)) => Some(k.clone()),
        Some(Edn::Int(k)) => Some(k.to_string()),
        Some(other) => return Err(format!(":key must be a string, keyword or integer, got {other:?}")),
    };
    let value = match map.get("value") {
        None => Value::Nil,
        // An :info's value is an error description, never a result.
        Some(_) if kind == EventType::Info => Value::Nil,
        Some(v) => to_value(v)?,
    };
    let time = match map.get("time") {
        None | Some(Edn::Nil) => None,
        Some(Edn::Int(t)) if *t >= 0 => Some(*t as u64),
        Some(other) => return Err(format!(":time must be a non-negative integer, got {other:?}")),
    };
    Ok(Some(Event { process, kind, f, key, value, time }))
}

fn to_value(v: &Edn) -> Result<Value, String> {
    Ok(match v {
        Edn::Nil => Value::Nil,
        Edn::Int(n) => Value::Int(*n),
        Edn::Str(s) => Value::Str(s.clone()),
        Edn::Keyword(k) => Value::Str(k.clone()),
        Edn::Vector(items) => Value::List(items.iter().map(to_value).collect::<Result<_, _>>()?),
        other => {
            return Err(format!("unsupported :value {other:?} (expected nil, integer, string, keyword or vector)"))
        }
    })
}
