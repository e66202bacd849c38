//! C programs in a lesson's place (`cargo xtask run <lesson> --program NAME=PATH`): small C
//! servers of this project's own with the book's interface (tests/c/: no options, port 9877 on
//! INADDR_ANY), since CI cannot fetch the book's tree. One keeps the line the lesson teaches and
//! passes; one lacks it and fails the same check as the Rust guard's change does (what
//! `cargo xtask guard` reports for that guard).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

use assert_cmd::Command;
use common::TempDir;
use predicates::prelude::*;

/// `cc -o DIR/NAME tests/c/SOURCE.c -DDEFINE...`: the program's path.
fn cc(dir: &Path, source: &str, defines: &[&str], name: &str) -> PathBuf {
    let c = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
    let out = dir.join(name);
    let status = StdCommand::new("cc")
        .args([
            "-std=c11",
            "-D_DEFAULT_SOURCE",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-O2",
            "-o",
        ])
        .arg(&out)
        .arg(c.join(format!("{source}.c")))
        .args(defines.iter().map(|d| format!("-D{d}")))
        .status()
        .expect("cc runs");
    assert!(status.success(), "cc compiles {source}.c {defines:?}");
    out
}

/// `cargo xtask run LESSON --program NAME=PATH`.
fn run_with(lesson: &str, name: &str, path: &Path) -> assert_cmd::assert::Assert {
    Command::new(common::bin("xtask"))
        .args([
            "run",
            lesson,
            "--color",
            "never",
            "--packets",
            "none",
            "--program",
        ])
        .arg(format!("{name}={}", path.display()))
        .timeout(Duration::from_secs(120))
        .assert()
}

/// What `cargo xtask guard ch5-fork-server` reports for the parent's `drop(connfd)` changed
/// to `forget`.
const PARENT_KEEPS_CONNFD: &str =
    "expected: each TCP socket in ESTABLISHED on the server's side is held by 1 descriptor";

/// What `cargo xtask guard ch5-sigchld` reports for WNOHANG taken away.
const HANDLER_BLOCKS: &str = "expected: serv04 has 2 running children";

#[test]
fn the_c_fixtures_compile_with_every_variant() {
    let tmp = TempDir::new("c");
    for (source, defines) in [
        ("tcpserv01", &[][..]),
        ("tcpserv01", &["LACKS_PARENT_CLOSE"][..]),
        ("tcpserv04", &[][..]),
        ("tcpserv04", &["NO_WNOHANG"][..]),
        ("tcpserv04", &["SINGLE_WAIT"][..]),
    ] {
        assert!(cc(&tmp.0, source, defines, source).is_file());
    }
}

#[test]
fn tcpserv01_in_c_passes_ch5_fork_server() {
    let tmp = TempDir::new("c");
    let server = cc(&tmp.0, "tcpserv01", &[], "tcpserv01");
    run_with("ch5-fork-server", "tcpserv01", &server)
        .code(0)
        .stdout(predicate::str::contains("✗").not());
}

#[test]
fn tcpserv01_in_c_without_the_parents_close_fails_as_the_rust_change_does() {
    let tmp = TempDir::new("c");
    let server = cc(&tmp.0, "tcpserv01", &["LACKS_PARENT_CLOSE"], "tcpserv01");
    run_with("ch5-fork-server", "tcpserv01", &server)
        .code(1)
        .stdout(predicate::str::contains(PARENT_KEEPS_CONNFD));
}

#[test]
fn tcpserv04_in_c_passes_ch5_sigchld() {
    let tmp = TempDir::new("c");
    let server = cc(&tmp.0, "tcpserv04", &[], "tcpserv04");
    run_with("ch5-sigchld", "tcpserv04", &server)
        .code(0)
        .stdout(predicate::str::contains("✗").not());
}

#[test]
fn tcpserv04_in_c_without_wnohang_fails_as_the_rust_change_does() {
    let tmp = TempDir::new("c");
    let server = cc(&tmp.0, "tcpserv04", &["NO_WNOHANG"], "tcpserv04");
    run_with("ch5-sigchld", "tcpserv04", &server)
        .code(1)
        .stdout(predicate::str::contains(HANDLER_BLOCKS));
}

/// tcpserv02's handler in tcpserv04's place: one `wait` per SIGCHLD leaves zombies when
/// children end together (§5.10); some check of the scenario says so.
#[test]
fn tcpserv04_in_c_with_a_single_wait_fails_ch5_sigchld() {
    let tmp = TempDir::new("c");
    let server = cc(&tmp.0, "tcpserv04", &["SINGLE_WAIT"], "tcpserv04");
    run_with("ch5-sigchld", "tcpserv04", &server)
        .code(1)
        .stdout(predicate::str::contains("✗"));
}
