//! A reader for the small part of EDN that Jepsen histories use: nil,
//! booleans, integers, strings, keywords, symbols, vectors, lists and maps,
//! with commas as whitespace. One value per call; errors give the column.

#[derive(Clone, Debug, PartialEq)]
pub enum Edn {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Without the leading colon.
    Keyword(String),
    Symbol(String),
    Vector(Vec<Edn>),
    Map(Vec<(Edn, Edn)>),
}

impl Edn {
    /// Looks up a keyword key in a map.
    pub fn get(&self, key: &str) -> Option<&Edn> {
        match self {
            Edn::Map(entries) => {
                entries.iter().find(|(k, _)| matches!(k, Edn::Keyword(name) if name == key)).map(|(_, v)| v)
            }
            _ => None,
        }
    }
}

/// Parses exactly one EDN value from `text` (surrounding whitespace allowed).
pub fn parse(text: &str) -> Result<Edn, String> {
    let mut r = Reader { s: text.as_bytes(), text, i: 0 };
    let v = r.value()?;
    r.skip_ws();
    if r.i != r.s.len() {
        return Err(format!("unexpected `{}` after the value at column {}", r.rest(), r.i + 1));
    }
    Ok(v)
}

/// A key as written, for error messages.
fn describe(key: &Edn) -> String {
    match key {
        Edn::Keyword(k) => format!(":{k}"),
        Edn::Str(s) => format!("{s:?}"),
        other => format!("{other:?}"),
    }
}

/// A digit first, or a sign then a digit.
fn looks_numeric(t: &str) -> bool {
    let b = t.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'-' | b'+') => b.get(1).is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}

struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

/// Nesting deeper than this is not a history; refusing it avoids a stack
/// overflow on hostile input.
const MAX_DEPTH: usize = 64;

impl Reader<'_> {
    fn rest(&self) -> String {
        self.text[self.i..].chars().take(20).collect()
    }

    fn skip_ws(&mut self) {
        while self.i < self.s.len() && (self.s[self.i].is_ascii_whitespace() || self.s[self.i] == b',') {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Edn, String> {
        self.value_at(0)
    }

    fn value_at(&mut self, depth: usize) -> Result<Edn, String> {
        if depth > MAX_DEPTH {
            return Err("values nested too deeply".into());
        }
        self.skip_ws();
        let Some(&c) = self.s.get(self.i) else {
            return Err("unexpected end of line (truncated value?)".into());
        };
        match c {
            b'{' => {
                self.i += 1;
                let items = self.seq(b'}', depth)?;
                if items.len() % 2 != 0 {
                    return Err("a map needs an even number of forms".into());
                }
                let mut it = items.into_iter();
                let mut pairs = Vec::new();
                // Keys by their debug form (`Edn` has floats, so no `Ord`).
                let mut seen = std::collections::BTreeSet::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    // EDN forbids duplicate keys; taking either silently
                    // would judge a history other than the one written.
                    if !seen.insert(format!("{k:?}")) {
                        return Err(format!("duplicate map key {}", describe(&k)));
                    }
                    pairs.push((k, v));
                }
                Ok(Edn::Map(pairs))
            }
            b'[' => {
                self.i += 1;
                Ok(Edn::Vector(self.seq(b']', depth)?))
            }
            b'(' => {
                self.i += 1;
                Ok(Edn::Vector(self.seq(b')', depth)?))
            }
            b'"' => self.string(),
            b':' => {
                self.i += 1;
                let tok = self.token();
                if tok.is_empty() {
                    return Err(format!("empty keyword at column {}", self.i));
                }
                Ok(Edn::Keyword(tok.to_string()))
            }
            b'}' | b']' | b')' => Err(format!("unexpected `{}` at column {}", c as char, self.i + 1)),
            _ => {
                let start = self.i;
                let tok = self.token();
                if tok.is_empty() {
                    return Err(format!("unexpected `{}` at column {}", self.rest(), start + 1));
                }
                Ok(match tok {
                    "nil" => Edn::Nil,
                    "true" => Edn::Bool(true),
                    "false" => Edn::Bool(false),
                    t if looks_numeric(t) => {
                        let digits = t.trim_end_matches('N');
                        if let Ok(n) = digits.parse::<i64>() {
                            Edn::Int(n)
                        } else if let Ok(x) = digits.parse::<f64>() {
                            Edn::Float(x)
                        } else {
                            return Err(format!("bad number `{tok}` at column {}", start + 1));
                        }
                    }
                    t => Edn::Symbol(t.to_string()),
                })
            }
        }
    }

    fn token(&mut self) -> &str {
        let start = self.i;
        while self.i < self.s.len() {
            let c = self.s[self.i];
            if c.is_ascii_whitespace() || matches!(c, b',' | b'{' | b'}' | b'[' | b']' | b'(' | b')' | b'"') {
                break;
            }
            self.i += 1;
        }
        &self.text[start..self.i]
    }

    fn seq(&mut self, close: u8, depth: usize) -> Result<Vec<Edn>, String> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.s.get(self.i) {
                None => return Err(format!("missing `{}` (truncated line?)", close as char)),
                Some(&c) if c == close => {
                    self.i += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.value_at(depth + 1)?),
            }
        }
    }

    fn string(&mut self) -> Result<Edn, String> {
        let start = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.text[self.i..].chars().next() else {
                return Err(format!("unterminated string starting at column {}", start + 1));
            };
            self.i += c.len_utf8();
            match c {
                '"' => return Ok(Edn::Str(out)),
                '\\' => {
                    let Some(e) = self.text[self.i..].chars().next() else {
                        return Err(format!("unterminated string starting at column {}", start + 1));
                    };
                    self.i += e.len_utf8();
                    out.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '"' => '"',
                        '\\' => '\\',
                        'u' => {
                            let hex = self.text.get(self.i..self.i + 4).ok_or("bad \\u escape")?;
                            self.i += 4;
                            u32::from_str_radix(hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| format!("bad \\u escape `{hex}`"))?
                        }
                        other => return Err(format!("unknown escape `\\{other}` in string")),
                    });
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jepsen_maps() {
        let v = parse(r#"{:process 3, :type :ok, :f :cas, :value [1 -2], :key "a\"b", :x nil}"#).unwrap();
        assert_eq!(v.get("process"), Some(&Edn::Int(3)));
        assert_eq!(v.get("type"), Some(&Edn::Keyword("ok".into())));
        assert_eq!(v.get("value"), Some(&Edn::Vector(vec![Edn::Int(1), Edn::Int(-2)])));
        assert_eq!(v.get("key"), Some(&Edn::Str("a\"b".into())));
        assert_eq!(v.get("x"), Some(&Edn::Nil));
        assert!(parse("{:process 3, :type").is_err());
        assert!(parse("{:a 1} x").is_err());
        assert!(parse("\"abc").is_err());
        assert!(parse(&"[".repeat(1000)).is_err());
        assert_eq!(parse("{:f :read, :f :write}").unwrap_err(), "duplicate map key :f");
    }
}
