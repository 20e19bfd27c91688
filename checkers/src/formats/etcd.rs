//! Porcupine's `jepsen/etcd_NNN.log`: `INFO  jepsen.util - <process> <type>
//! <f> <value>`, fields separated by tabs or spaces. See the data README:
//! `:fail :cas` is an observed failed compare, `:fail :read` a read with no
//! answer, `:info` an operation whose effect is unknown.

use super::edn::{self, Edn};
use super::FormatError;
use crate::history::{Event, EventType, History, Value};

const PREFIX: &str = "INFO  jepsen.util - ";

pub fn parse(text: &str) -> Result<(History, Vec<usize>), FormatError> {
    let mut history = History::new();
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let event = parse_line(line).map_err(|message| FormatError { line: i + 1, message })?;
        if history.events.len() == super::MAX_HISTORY_EVENTS {
            return Err(super::too_many_events(i + 1));
        }
        history.events.push(event);
        lines.push(i + 1);
    }
    Ok((history, lines))
}

fn parse_line(line: &str) -> Result<Event, String> {
    let rest = line.strip_prefix(PREFIX).ok_or_else(|| format!("expected a line starting with `{PREFIX}`"))?;
    // Three single-word fields, then the value (which may contain a space:
    // `[1 2]`); separators are runs of tabs or spaces.
    let mut rest = rest.trim();
    let mut next = |what: &str| -> Result<&str, String> {
        if rest.is_empty() {
            return Err(format!("missing {what} (truncated line?)"));
        }
        if what == "value" {
            return Ok(rest);
        }
        let end = rest.find(['\t', ' ']).unwrap_or(rest.len());
        let field = &rest[..end];
        rest = rest[end..].trim_start();
        Ok(field)
    };
    let process_text = next("process")?;
    let process: u64 =
        process_text.parse().map_err(|_| format!("process must be a non-negative integer, got `{process_text}`"))?;
    let kind = match next("type")? {
        ":invoke" => EventType::Invoke,
        ":ok" => EventType::Ok,
        ":fail" => EventType::Fail,
        ":info" => EventType::Info,
        other => return Err(format!("unknown type `{other}` (expected :invoke, :ok, :fail or :info)")),
    };
    let f = match next("f")? {
        ":read" => "read",
        ":write" => "write",
        ":cas" => "cas",
        other => return Err(format!("unknown f `{other}` (expected :read, :write or :cas)")),
    };
    let value_text = next("value")?;
    let parsed = edn::parse(value_text).map_err(|e| format!("bad value `{value_text}`: {e}"))?;
    let value = match (&parsed, f) {
        (Edn::Keyword(k), _) if k == "timed-out" && matches!(kind, EventType::Fail | EventType::Info) => Value::Nil,
        (Edn::Nil, "read") => Value::Nil,
        (Edn::Int(n), "read" | "write") => Value::Int(*n),
        (Edn::Vector(items), "cas") => match items.as_slice() {
            [Edn::Int(a), Edn::Int(b)] => Value::List(vec![Value::Int(*a), Value::Int(*b)]),
            _ => return Err(format!("cas value must be [old new] integers, got `{value_text}`")),
        },
        _ => return Err(format!("unexpected value `{value_text}` for :{f}")),
    };
    Ok(Event { process, kind, f: f.to_string(), key: None, value, time: None })
}
