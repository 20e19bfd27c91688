//! Simulated time: `u64` nanoseconds since the start of the run.

/// Simulated nanoseconds.
pub type Time = u64;

pub const NANOS_PER_MICRO: u64 = 1_000;
pub const NANOS_PER_MILLI: u64 = 1_000_000;
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Parses a duration like `250ms`, `10s`, `2m`, `1h`, `500us`, `100ns`
/// (a bare number means nanoseconds) into nanoseconds.
pub fn parse_duration_ns(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') || fraction.len() > 9 {
        return Err(format!(
            "`{text}` is not a duration (expected a number with a unit: 100ns, 5us, 250ms, 2.5s, 2m, 1h)"
        ));
    }
    let mult = match unit.trim() {
        "" | "ns" => 1,
        "us" | "µs" => NANOS_PER_MICRO,
        "ms" => NANOS_PER_MILLI,
        "s" => NANOS_PER_SEC,
        "m" | "min" => 60 * NANOS_PER_SEC,
        "h" => 3600 * NANOS_PER_SEC,
        other => return Err(format!("`{text}`: unknown unit `{other}` (use ns, us, ms, s, m or h)")),
    };
    let too_long = || format!("`{text}` is too long a duration");
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_long())? };
    // Integer arithmetic only: `2.5s` is 2 s plus 5/10 of a second, exactly.
    let mut part = 0u64;
    if !fraction.is_empty() {
        let digits: u64 = fraction.parse().map_err(|_| too_long())?;
        let scale = 10u64.pow(fraction.len() as u32);
        part = (digits as u128 * mult as u128 / scale as u128) as u64;
    }
    whole.checked_mul(mult).and_then(|w| w.checked_add(part)).ok_or_else(too_long)
}

/// Formats nanoseconds for people: `1.250s`, `12.5ms`, `800ns`.
pub fn format_duration_ns(ns: u64) -> String {
    if ns >= NANOS_PER_SEC {
        format!("{}.{:03}s", ns / NANOS_PER_SEC, (ns % NANOS_PER_SEC) / NANOS_PER_MILLI)
    } else if ns >= NANOS_PER_MILLI {
        format!("{}.{:03}ms", ns / NANOS_PER_MILLI, (ns % NANOS_PER_MILLI) / NANOS_PER_MICRO)
    } else if ns >= NANOS_PER_MICRO {
        format!("{}.{:03}us", ns / NANOS_PER_MICRO, ns % NANOS_PER_MICRO)
    } else {
        format!("{ns}ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_duration_ns("250ms"), Ok(250 * NANOS_PER_MILLI));
        assert_eq!(parse_duration_ns("10s"), Ok(10 * NANOS_PER_SEC));
        assert_eq!(parse_duration_ns("7"), Ok(7));
        assert_eq!(parse_duration_ns("2.5s"), Ok(2_500_000_000));
        assert_eq!(parse_duration_ns("0.25ms"), Ok(250_000));
        assert!(parse_duration_ns("1.2.3s").is_err());
        assert!(parse_duration_ns(".s").is_err());
        assert!(parse_duration_ns("ten").is_err());
        assert!(parse_duration_ns("-5s").is_err());
        assert!(parse_duration_ns("5 parsecs").is_err());
        assert!(parse_duration_ns("99999999999999999999s").is_err());
        assert_eq!(format_duration_ns(1_250_000_000), "1.250s");
    }
}
