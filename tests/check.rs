//! `cargo xtask check`: a student's copy graded by the kernel. With every task open it fails
//! and says which; with the reference lines put back it passes; `--json` lists the tasks; a
//! copy that does not compile, and a server that forks 300 children that never exit, each
//! end with exit 1, a clear message and nothing left behind.
//!
//! One test plays the whole story on one copy, in order: the copies of a lesson share a
//! target folder (cargo would rebuild one over the other if two ran at once), and building
//! one is most of the time.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::TempDir;
use xtask::exercise;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// `cargo xtask SUBCOMMAND LESSON ARGS`, with the copies in `dir` and their build in `target`.
fn xtask(dir: &Path, target: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::new(common::bin("xtask"))
        .args(args)
        .env(exercise::DIR_VAR, dir)
        .env(exercise::TARGET_VAR, target)
        .timeout(Duration::from_secs(240))
        .assert()
}

fn grade(dir: &Path, target: &Path) -> serde_json::Value {
    let out = xtask(dir, target, &["check", "ch5-sigchld", "--json"])
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("--json parses: {e}\n{text}"))
}

#[test]
fn a_copy_is_graded_open_then_done_and_a_broken_one_is_contained() {
    let tmp = TempDir::new("check");
    let (dir, target) = (tmp.0.join("exercises"), tmp.0.join("target"));
    fs::create_dir_all(&dir).expect("a folder");
    xtask(&dir, &target, &["exercise", "ch5-sigchld"]).success();
    let copy = dir.join("ch5-sigchld");

    // Every task open: exit 1, and the grade says each is not done.
    let open = xtask(&dir, &target, &["check", "ch5-sigchld", "--hint"]).code(1);
    let text = String::from_utf8_lossy(&open.get_output().stdout).to_string();
    assert!(text.contains("0 of 4 tasks"), "{text}");
    assert!(
        text.contains("✗ failed") && text.contains("hint: "),
        "{text}"
    );
    let json = grade(&dir, &target);
    let tasks = json["tasks"].as_array().expect("a list of tasks");
    assert_eq!(tasks.len(), 4, "{json}");
    assert!(tasks.iter().all(|t| t["status"] != "done"), "{json}");
    assert_eq!(json["done"], 0);

    // The reference put back, file by file: every task done, exit 0.
    for (copied, reference) in [
        (
            "src/bin/tcpserv02.rs",
            "crates/ch5-sigchld/src/bin/tcpserv02.rs",
        ),
        (
            "src/bin/tcpserv03.rs",
            "crates/ch5-sigchld/src/bin/tcpserv03.rs",
        ),
        (
            "src/bin/tcpserv04.rs",
            "crates/ch5-sigchld/src/bin/tcpserv04.rs",
        ),
        ("unp/src/signal.rs", "crates/unp/src/signal.rs"),
    ] {
        fs::copy(root().join(reference), copy.join(copied)).expect("put the reference back");
    }
    let done = xtask(&dir, &target, &["check", "ch5-sigchld"]).code(0);
    let text = String::from_utf8_lossy(&done.get_output().stdout).to_string();
    assert!(text.contains("4 of 4 tasks"), "{text}");
    assert_eq!(grade(&dir, &target)["done"], 4);

    // A copy that does not compile: cargo's errors, then the grade, exit 1, in time.
    let started = Instant::now();
    let server = copy.join("src/bin/tcpserv04.rs");
    let good = fs::read_to_string(&server).expect("read");
    fs::write(&server, format!("{good}\nfn broken( {{\n")).expect("break it");
    let broken = xtask(&dir, &target, &["check", "ch5-sigchld"]).code(1);
    let out = broken.get_output();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error"),
        "cargo's errors"
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("does not compile: 0 of 4 tasks"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    fs::write(&server, good).expect("mend it");
}

/// A server that forks 300 children that never exit (some of them leaving its process group
/// with setsid) is ended with the run: a line says so, and no process is left.
#[test]
fn a_server_that_forks_300_children_is_contained() {
    let tmp = TempDir::new("forks");
    let source = tmp.0.join("forks.c");
    fs::write(
        &source,
        "#include <unistd.h>\nint main(void) {\n  for (int i = 0; i < 300; i++)\n\
         if (fork() == 0) { if (i % 2) setsid(); for (;;) pause(); }\n  for (;;) pause();\n}\n",
    )
    .expect("write");
    let exe = tmp.0.join("forks");
    let cc = std::process::Command::new("cc")
        .arg("-o")
        .arg(&exe)
        .arg(&source)
        .status();
    assert!(cc.expect("cc").success(), "cc builds it");
    let started = Instant::now();
    let out = Command::new(common::bin("xtask"))
        .args(["run", "ch5-fork-server", "--program"])
        .arg(format!("tcpserv01={}", exe.display()))
        .timeout(Duration::from_secs(120))
        .assert()
        .code(1);
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
    assert!(text.contains("more than the 200 a run may have"), "{text}");
    let left: Vec<i32> = procfs::process::all_processes()
        .expect("/proc")
        .flatten()
        .filter(|p| p.exe().is_ok_and(|e| e == exe))
        .map(|p| p.pid)
        .collect();
    assert!(left.is_empty(), "left running: {left:?}");
}
