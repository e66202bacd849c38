//! The tests' own waits: a program that never prints its first line, or never ends, fails its
//! test within the limit, saying what the test waited for, instead of hanging the whole run.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, wait_within};

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("the wait fails");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_server_that_never_prints_its_first_line_fails_saying_so() {
    let started = Instant::now();
    let mut silent = Command::new("sleep");
    silent.arg("600");
    let msg = panic_message(|| {
        Server::spawn(silent, "sleep", Duration::from_secs(1));
    });
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it did not hang"
    );
    assert!(
        msg.contains("timed out after 1s waiting for sleep's first line"),
        "{msg}"
    );
}

#[test]
fn a_program_that_never_ends_fails_saying_what_was_awaited_and_is_killed() {
    let mut child = Command::new("sleep")
        .arg("600")
        .stdin(Stdio::null())
        .spawn()
        .expect("sleep starts");
    let pid = child.id();
    let started = Instant::now();
    let msg = panic_message(|| {
        wait_within(&mut child, "sleep to exit", Duration::from_secs(1));
    });
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it did not hang"
    );
    assert_eq!(msg, "timed out after 1s waiting for sleep to exit");
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the program was killed and reaped"
    );
}
