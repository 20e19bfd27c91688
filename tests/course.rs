//! Every command in the course labs (`docs/course/*.md`) runs as written:
//! each `faultline ...` line of a `sh` block, in order, in a fresh directory
//! per lab, exits with 0 or with the code its `# exit N` comment states.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (command line, expected exit code) for each command of a lab file.
fn commands(markdown: &str) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in markdown.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = !in_sh && t == "```sh";
            continue;
        }
        if !in_sh || !t.starts_with("faultline ") {
            continue;
        }
        let (cmd, comment) = match t.split_once(" #") {
            Some((c, rest)) => (c.trim(), rest.trim()),
            None => (t, ""),
        };
        let code = comment
            .strip_prefix("exit ")
            .map(|r| r.chars().take_while(char::is_ascii_digit).collect::<String>())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        out.push((cmd.to_string(), code));
    }
    out
}

#[test]
fn every_lab_command_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.parent().unwrap().join("shared");
    let mut labs: Vec<PathBuf> = std::fs::read_dir(root.join("docs/course"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("lab"))
        .collect();
    labs.sort();
    assert!(labs.len() >= 4, "the labs exist");
    let mut ran = 0;
    for lab in &labs {
        let dir = std::env::temp_dir().join(format!(
            "faultline-course-{}-{}",
            lab.file_stem().unwrap().to_string_lossy(),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let text = std::fs::read_to_string(lab).unwrap();
        let cmds = commands(&text);
        assert!(!cmds.is_empty(), "{} lists commands", lab.display());
        for (cmd, expected) in cmds {
            let args: Vec<String> = cmd
                .split_whitespace()
                .skip(1)
                .map(|a| a.replace("../shared/", &format!("{}/", shared.display())))
                .collect();
            if args.iter().any(|a| a.contains(&shared.display().to_string())) && !shared.exists() {
                eprintln!("skipped (no shared data): {cmd}");
                continue;
            }
            let out = Command::new(env!("CARGO_BIN_EXE_faultline")).args(&args).current_dir(&dir).output().unwrap();
            assert_eq!(
                out.status.code(),
                Some(expected),
                "{}: `{cmd}` exited {:?}\n{}",
                lab.display(),
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            );
            ran += 1;
        }
    }
    assert!(ran >= 20, "{ran} commands ran");
}
