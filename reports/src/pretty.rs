//! Makes a `{:?}` dump readable: one top-level field a line.
//!
//! Node states arrive as single-line `Debug` text. This breaks it after the
//! opening brace of the outer struct and after each of its fields, leaving
//! deeper structure (logs, maps) inline for the browser to wrap. Quoted
//! strings are respected.

/// Breaks `text` into lines at its top-level fields (depth ≤ `depth`).
pub fn pretty_debug(text: &str, depth: usize) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut level = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' | '(' => {
                level += 1;
                out.push(c);
                if level <= depth && c == '{' {
                    out.push('\n');
                    out.push_str(&"  ".repeat(level));
                    while chars.peek() == Some(&' ') {
                        chars.next();
                    }
                }
            }
            '}' | ']' | ')' => {
                if level <= depth && c == '}' {
                    while out.ends_with(' ') {
                        out.pop();
                    }
                    out.push('\n');
                    out.push_str(&"  ".repeat(level.saturating_sub(1)));
                }
                level = level.saturating_sub(1);
                out.push(c);
            }
            ',' if level <= depth && level > 0 => {
                out.push(',');
                out.push('\n');
                out.push_str(&"  ".repeat(level));
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_top_level_fields_only() {
        let s = pretty_debug("S { a: 1, b: [1, 2], c: T { x: \"{,}\" } }", 1);
        assert_eq!(s, "S {\n  a: 1,\n  b: [1, 2],\n  c: T { x: \"{,}\" }\n}");
    }
}
