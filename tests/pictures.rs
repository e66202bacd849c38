//! The pictures in a real browser: `cargo xtask run LESSON --html FILE` writes a page that
//! headless Chromium renders with no error, a time-sequence diagram for each step that has
//! packets (an arrow per packet), the process figure on the key steps, and no label over
//! another. The page checks itself when opened with `#selftest` and writes what it found into
//! the page, which Chromium's `--dump-dom` prints.
//!
//! Where Chromium is not installed (.ci/run installs Debian's package), these tests say they
//! were skipped, and pass.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

use assert_cmd::Command;
use common::bin;

/// Debian's chromium, or another on the PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let names = ["chromium", "chromium-browser", "google-chrome"];
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Chromium headless, as root in a container: no sandbox, no GPU, nothing fetched, a profile
/// of its own.
fn browser(chromium: &Path, profile: &Path) -> StdCommand {
    let mut c = StdCommand::new("timeout");
    c.arg("90").arg(chromium).args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
    ]);
    c.arg(format!("--user-data-dir={}", profile.display()));
    c
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("unp-lab-pictures.{}.{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Play the lesson with `--html`, and return the page's path.
fn page_of(lesson: &str, dir: &Path) -> PathBuf {
    let page = dir.join(format!("{lesson}.html"));
    let mut run = Command::new(bin("xtask"));
    run.timeout(Duration::from_secs(90))
        .args(["run", lesson, "--html"])
        .arg(&page)
        .assert()
        .success();
    page
}

/// What the page's self-check found, as JSON.
fn selftest(chromium: &Path, page: &Path, dir: &Path) -> (serde_json::Value, String) {
    let url = format!("file://{}#selftest", page.display());
    let out = browser(chromium, &dir.join("profile"))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    let line = dom
        .lines()
        .find_map(|l| l.split("SELFTEST ").nth(1).filter(|t| t.starts_with('{')))
        .unwrap_or_else(|| panic!("no self-check in the page: {}", &dom[..dom.len().min(400)]));
    let json = line.split("</pre>").next().unwrap_or("");
    let json = json
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (
        serde_json::from_str(&json).expect("the self-check's JSON"),
        stderr,
    )
}

/// The steps of the lesson's scenario that ask for a picture.
fn key_steps(lesson: &str) -> usize {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates")
        .join(lesson)
        .join("scenario.toml");
    let text = std::fs::read_to_string(file).unwrap();
    text.lines()
        .filter(|l| l.trim() == "picture = true")
        .count()
}

/// Check the lesson's page in the browser; returns the page, or None where there is no browser.
fn check_page(lesson: &str) -> Option<String> {
    let Some(chromium) = chromium() else {
        println!("skipped: {lesson}'s page in a browser: no chromium installed");
        return None;
    };
    let dir = scratch(lesson);
    let page = page_of(lesson, &dir);
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing is fetched from anywhere.
    for fetch in ["<link", " src=", "@import", "url(http"] {
        assert!(
            !html.contains(fetch),
            "{lesson}'s page fetches something: {fetch}"
        );
    }
    let (found, stderr) = selftest(&chromium, &page, &dir);
    let steps = found["steps"].as_array().expect("steps");
    assert!(!steps.is_empty());
    let mut processes = 0;
    for step in steps {
        let (id, packets) = (&step["id"], step["packets"].as_u64().unwrap());
        assert_eq!(
            step["arrows"], packets,
            "{lesson} {id}: an arrow per packet"
        );
        let figures: Vec<&str> = step["figures"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f.as_str())
            .collect();
        assert_eq!(
            figures.contains(&"unp timeline"),
            packets > 0,
            "{lesson} {id}"
        );
        processes += figures.iter().filter(|f| **f == "unp processes").count();
        assert_eq!(
            step["overlaps"],
            serde_json::json!([]),
            "{lesson} {id}: labels overlap"
        );
    }
    assert_eq!(
        found["errors"],
        serde_json::json!([]),
        "{lesson}: errors in the page"
    );
    assert!(
        processes >= 1 && processes <= key_steps(lesson),
        "{lesson}: {processes}"
    );
    for line in stderr.lines() {
        let bad = line.contains("Uncaught") || (line.contains("CONSOLE") && line.contains("rror"));
        assert!(!bad, "{lesson}: the browser reported {line}");
    }
    // And it renders: a screenshot of the page, for a person to look at when this fails.
    let shot = dir.join(format!("{lesson}.png"));
    let status = browser(&chromium, &dir.join("profile"))
        .arg("--window-size=1200,3000")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let size = std::fs::metadata(&shot).map_or(0, |m| m.len());
    assert!(
        size > 10_000,
        "{lesson}: screenshot of {size} bytes ({status:?})"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Some(html)
}

#[test]
fn fork_server_page_shows_figure_4_17_and_every_packet() {
    if let Some(html) = check_page("ch5-fork-server") {
        assert!(html.contains("fd 3 listenfd") && html.contains("fd 4 connfd"));
        assert!(
            html.contains("<line class=\"conn\""),
            "the connection between the ends"
        );
    }
}

#[test]
fn sigpipe_page_shows_the_rst() {
    if let Some(html) = check_page("ch5-sigpipe") {
        assert!(
            html.contains("<line class=\"arrow rst\""),
            "the RST stands out"
        );
    }
}

#[test]
fn udp_echo_page_draws_its_datagrams() {
    check_page("ch8-udp-echo");
}
