//! `faultline report` as a user meets it, and the HTML viewer in a real
//! browser: headless Chromium (Debian's `chromium` package) loads the
//! report of a failing Raft bug-variant run from disk, the script runs
//! without error, the step control moves, and a screenshot is kept in
//! `target/report-artifacts/`. Without Chromium the browser part is skipped
//! with a message (CI installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline")).args(args).output().expect("faultline runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A failing run of a Raft bug variant, as a repro file.
fn failing_repro(dir: &Path) -> PathBuf {
    let out = faultline(&["run", "raft-forget-vote", "--seed", "10", "--out", dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "raft-forget-vote seed 10 finds a violation: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    dir.join("raft-forget-vote-seed10.json")
}

#[test]
fn report_writes_html_svg_shiviz_and_text_deterministically() {
    let dir = temp_dir("files");
    let repro = failing_repro(&dir);
    let (html, svg, shiviz) = (dir.join("r.html"), dir.join("r.svg"), dir.join("r.shiviz"));
    let args = [
        "report",
        repro.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
        "--shiviz",
        shiviz.to_str().unwrap(),
    ];
    let out = faultline(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let first = (std::fs::read(&html).unwrap(), std::fs::read(&svg).unwrap(), std::fs::read(&shiviz).unwrap());
    assert_eq!(faultline(&args).status.code(), Some(0));
    let second = (std::fs::read(&html).unwrap(), std::fs::read(&svg).unwrap(), std::fs::read(&shiviz).unwrap());
    assert!(first == second, "the same repro gives byte-identical reports");
    let page = String::from_utf8(first.0).unwrap();
    assert!(!page.contains("http://") && !page.contains("https://"));
    assert!(page.contains("election-safety"));
    let text = faultline(&["report", repro.to_str().unwrap(), "--text", "--focus", "--collapse-heartbeats"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("VIOLATION") && stdout.contains(" L"), "{stdout}");
    // A scenario with a seed works too, and without --seed it says what is missing.
    let svg2 = dir.join("echo.svg");
    assert_eq!(
        faultline(&["report", "echo-double-pong", "--seed", "1", "--svg", svg2.to_str().unwrap()]).status.code(),
        Some(0)
    );
    let no_seed = faultline(&["report", "echo-basic"]);
    assert_eq!(no_seed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_seed.stderr).contains("--seed"));
}

#[test]
fn bad_report_arguments_are_named_and_exit_2() {
    let dir = temp_dir("bad");
    let bad = faultline(&["report", "raft-basic", "--seed", "1", "--window", "9..3", "--text"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--window"));
    let missing = faultline(&["report", dir.join("nope.json").to_str().unwrap()]);
    assert_eq!(missing.status.code(), Some(2));
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\"format_version\": 1, \"seed\": }").unwrap();
    let out = faultline(&["report", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let empty = temp_dir("empty");
    let out = faultline(&["report", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no repro file"));
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().map(|o| o.status.success()).unwrap_or(false))
}

fn headless(browser: &str, args: &[&str]) -> Output {
    Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0"])
        .args(args)
        .output()
        .expect("the browser runs")
}

#[test]
fn the_html_viewer_works_in_headless_chromium() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium on PATH (apt-get install -y chromium)");
        return;
    };
    let dir = temp_dir("browser");
    let repro = failing_repro(&dir);
    let html = dir.join("viewer.html");
    // The whole run, so every delivery is drawn.
    let out = faultline(&["report", repro.to_str().unwrap(), "--html", html.to_str().unwrap(), "--max-events", "0"]);
    assert_eq!(out.status.code(), Some(0));
    let url = format!("file://{}", html.display());

    let dom = headless(browser, &["--dump-dom", &format!("{url}#step=5")]);
    let page = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(!log.contains("Uncaught"), "a JavaScript error: {log}");
    assert!(page.contains("data-ready=\"1\""), "the script ran to the end");
    assert!(page.contains("data-step=\"5\""), "#step=5 moved the step control");
    assert!(page.contains("class=\"state\""), "node states are shown");
    // `msg`, `msg dup`, and either with `cur` when it is the current step.
    let arrows = page.matches("<line class=\"msg").count();
    let replay = faultline(&["report", repro.to_str().unwrap(), "--text", "--max-events", "0"]);
    let delivered =
        String::from_utf8_lossy(&replay.stdout).lines().filter(|l| l.split_whitespace().nth(4) == Some("recv")).count();
    assert!(delivered > 100);
    assert_eq!(arrows, delivered, "one arrow per delivered message");
    // Another step gives another highlighted event.
    let later = headless(browser, &["--dump-dom", &format!("{url}#step=40")]);
    assert!(String::from_utf8_lossy(&later.stdout).contains("data-step=\"40\""));

    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("report-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let shot = artifacts.join("raft-forget-vote-seed10.png");
    let _ = std::fs::remove_file(&shot);
    let s = headless(browser, &[&format!("--screenshot={}", shot.display()), "--window-size=1400,900", &url]);
    assert!(shot.exists(), "a screenshot: {}", String::from_utf8_lossy(&s.stderr));
}
