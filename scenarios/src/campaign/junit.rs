//! JUnit XML for CI systems: one test case per scenario; a scenario with
//! findings fails, and its failure lists each distinct finding with its
//! repro file and the command that replays it.

use super::results::Summary;
use std::fmt::Write as _;

/// Escapes text for XML attributes and character data.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Renders the summary as a JUnit XML document.
pub fn render(summary: &Summary, suite: &str) -> String {
    let failures = summary.scenarios.values().filter(|t| t.violations > 0).count();
    let tests = summary.scenarios.len();
    let mut out = String::new();
    let _ = writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let _ =
        writeln!(out, r#"<testsuites name="{}" tests="{tests}" failures="{failures}" errors="0">"#, xml_escape(suite));
    let _ = writeln!(
        out,
        r#"  <testsuite name="{}" tests="{tests}" failures="{failures}" errors="0" skipped="0">"#,
        xml_escape(suite)
    );
    for (name, t) in &summary.scenarios {
        let classname = format!("faultline.{}", if t.protocol.is_empty() { "scenario" } else { &t.protocol });
        let _ = writeln!(out, r#"    <testcase classname="{}" name="{}">"#, xml_escape(&classname), xml_escape(name));
        let found: Vec<_> = summary.findings.iter().filter(|f| &f.scenario == name).collect();
        if t.violations > 0 {
            let message = format!(
                "{} distinct finding{} in {} of {} runs",
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                t.violations,
                t.runs
            );
            let mut body = String::new();
            for f in &found {
                let seed = f.first_seed.map(|s| format!(", first at seed {s}")).unwrap_or_default();
                let _ = writeln!(body, "{} {}: {} runs{seed}", f.kind, f.name, f.runs);
                if let Some(r) = &f.repro {
                    let _ = writeln!(body, "  repro:  {r}");
                    let _ = writeln!(body, "  replay: faultline replay {r} --trace");
                }
                if let Some(r) = &f.shrunk {
                    let _ = writeln!(body, "  shrunk: {r}");
                    let _ = writeln!(body, "  replay: faultline replay {r} --trace");
                }
            }
            let _ = writeln!(
                out,
                r#"      <failure type="violation" message="{}">{}</failure>"#,
                xml_escape(&message),
                xml_escape(&body)
            );
        }
        let seeds = match (t.min_seed, t.max_seed) {
            (Some(a), Some(b)) => format!(", seeds {a}..={b}"),
            _ => String::new(),
        };
        let corpus = if t.corpus > 0 {
            format!(", {} corpus repros re-run ({} still fail)", t.corpus, t.corpus_still_failing)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>",
            xml_escape(&format!(
                "{} runs{seeds}: {} held, {} violations, {} unknown, {} events{corpus}",
                t.runs, t.held, t.violations, t.unknown, t.events
            ))
        );
        let _ = writeln!(out, "    </testcase>");
    }
    let _ = writeln!(out, "  </testsuite>");
    let _ = writeln!(out, "</testsuites>");
    out
}

#[cfg(test)]
mod tests {
    use super::super::results::{FindingKey, ResultLine, Summary};
    use super::*;
    use crate::runner::Verdict;

    #[test]
    fn one_case_per_scenario_and_failures_carry_repro_and_replay() {
        let mk = |scenario: &str, seed, verdict, repro: Option<&str>| ResultLine {
            scenario: scenario.into(),
            seed: Some(seed),
            verdict,
            trace_hash: format!("h{seed}"),
            protocol: "raft".into(),
            bug: None,
            events: 1,
            sim_time_ns: 0,
            faults: 0,
            findings: if verdict == Verdict::Violation {
                vec![FindingKey { kind: "invariant".into(), name: "a<b & \"c\"".into() }]
            } else {
                vec![]
            },
            unknown: vec![],
            repro: repro.map(String::from),
            shrunk: None,
            corpus: None,
            corpus_status: None,
            error: None,
        };
        let lines = vec![
            mk("raft-basic", 1, Verdict::Held, None),
            mk("raft-bad", 1, Verdict::Violation, Some("out/raft-bad-seed1.json")),
        ];
        let xml = render(&Summary::of(&lines), "faultline fuzz");
        assert_eq!(xml.matches("<testcase ").count(), 2);
        assert_eq!(xml.matches("<failure ").count(), 1);
        assert!(xml.contains("faultline replay out/raft-bad-seed1.json"), "{xml}");
        assert!(xml.contains("a&lt;b &amp; &quot;c&quot;"), "{xml}");
        assert!(xml.contains(r#"tests="2" failures="1""#), "{xml}");
    }
}
