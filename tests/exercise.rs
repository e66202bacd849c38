//! `cargo xtask exercise`: the student's copy has every line its lesson teaches undone and
//! marked, builds on its own, is never overwritten, and `--reset` keeps the old one aside.
//!
//! Each test makes its copies in a temporary folder of its own (`UNP_LAB_EXERCISES_DIR`), so
//! the tests run in parallel and never touch the workspace's `exercises/`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use common::TempDir;
use predicates::prelude::*;
use xtask::cargo::BuildError;
use xtask::exercise;
use xtask::scenario::Scenario;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// `cargo xtask exercise ARGS` with its copies in `dir`.
fn exercise(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::new(common::bin("xtask"))
        .arg("exercise")
        .args(args)
        .env(exercise::DIR_VAR, dir)
        .timeout(Duration::from_secs(60))
        .assert()
}

/// The code of a change, without the comment the copy leaves out.
fn code(change: &str) -> &str {
    change
        .lines()
        .next()
        .unwrap_or("")
        .split("//")
        .next()
        .unwrap_or("")
        .trim()
}

#[test]
fn every_lessons_copy_has_each_guarded_line_changed_and_marked_and_is_a_workspace_of_its_own() {
    let tmp = TempDir::new("exercise");
    for lesson in common::lessons() {
        let scenario_file = root().join("crates").join(&lesson).join("scenario.toml");
        let scenario = Scenario::load(&scenario_file).expect("the scenario loads");
        exercise(&tmp.0, &[&lesson])
            .success()
            .stdout(predicate::str::contains(format!(
                "cargo xtask check {lesson}"
            )));
        let copy = tmp.0.join(&lesson);
        let mut marks = 0;
        for (i, guard) in scenario.guards.iter().enumerate() {
            let path = copy.join(guard.file.replace("../unp/", "unp/"));
            let text = fs::read_to_string(&path).expect("the guard's file is in the copy");
            let what = format!("{lesson} guard {}: {}", i + 1, path.display());
            // A change may bring back the line itself, or another guard's (signalmask swaps
            // SIG_BLOCK and SIG_UNBLOCK).
            let made_again = scenario
                .guards
                .iter()
                .any(|g| g.file == guard.file && g.change.contains(guard.line.as_str()));
            if !made_again {
                assert!(
                    !text.contains(guard.line.as_str()),
                    "{what} still has the line"
                );
            }
            assert!(
                text.contains(code(&guard.change)),
                "{what} lacks the change"
            );
            marks = marks.max(text.matches("TODO(task ").count());
        }
        assert!(marks > 0, "{lesson}: no TODO(task N) mark");
        let manifest = fs::read_to_string(copy.join("Cargo.toml")).expect("Cargo.toml");
        assert!(manifest.contains("\n[workspace]\n"), "{lesson}: {manifest}");
        assert!(
            !manifest.contains("workspace = true"),
            "{lesson}: {manifest}"
        );
        assert!(!manifest.contains(".workspace"), "{lesson}: {manifest}");
        assert!(copy.join("Cargo.lock").is_file(), "{lesson}: no Cargo.lock");
        assert!(
            copy.join(".gitignore").is_file(),
            "{lesson}: no .gitignore for target/"
        );
        // The course's own crate keeps the reference: its guards' lines are all there.
        Scenario::load(&scenario_file).expect("the lesson's own code is unchanged");
    }
}

#[test]
fn the_task_list_names_each_place_and_the_next_command() {
    let tmp = TempDir::new("exercise");
    let out = exercise(&tmp.0, &["ch5-sigchld"]).success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    for place in [
        "1. src/bin/tcpserv04.rs:",
        "2. src/bin/tcpserv02.rs:",
        "3. unp/src/signal.rs:",
        "4. src/bin/tcpserv03.rs:",
        "(§5.10)",
        "cargo xtask check ch5-sigchld",
    ] {
        assert!(stdout.contains(place), "no `{place}` in:\n{stdout}");
    }
    // The task's line number is where its mark is.
    let copy = tmp.0.join("ch5-sigchld");
    let at = stdout
        .split("unp/src/signal.rs:")
        .nth(1)
        .expect("a line number");
    let line: usize = at
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .expect("a number");
    let text = fs::read_to_string(copy.join("unp/src/signal.rs")).unwrap();
    let marked = text.lines().nth(line - 1).expect("the line exists");
    assert!(
        marked.contains("TODO(task 3):"),
        "line {line} is `{marked}`"
    );
}

#[test]
fn a_second_run_keeps_the_copy_and_reset_puts_it_aside() {
    let tmp = TempDir::new("exercise");
    exercise(&tmp.0, &["ch5-fork-server"]).success();
    let copy = tmp.0.join("ch5-fork-server");
    let work = copy.join("src/bin/tcpserv01.rs");
    fs::write(&work, "// the student's work\n").unwrap();
    exercise(&tmp.0, &["ch5-fork-server"])
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("exists").and(predicate::str::contains("--reset")))
        .stderr(predicate::function(|e: &str| e.lines().count() == 1));
    assert_eq!(
        fs::read_to_string(&work).unwrap(),
        "// the student's work\n"
    );

    exercise(&tmp.0, &["ch5-fork-server", "--reset"])
        .success()
        .stdout(predicate::str::contains("ch5-fork-server.old-1"));
    let aside = tmp.0.join("ch5-fork-server.old-1/src/bin/tcpserv01.rs");
    assert_eq!(
        fs::read_to_string(aside).unwrap(),
        "// the student's work\n"
    );
    assert!(fs::read_to_string(&work).unwrap().contains("TODO(task 1)"));
    exercise(&tmp.0, &["ch5-fork-server", "--reset"]).success();
    assert!(tmp.0.join("ch5-fork-server.old-2").is_dir());
}

#[test]
fn an_unknown_lesson_is_a_usage_error_with_a_suggestion() {
    let tmp = TempDir::new("exercise");
    exercise(&tmp.0, &["ch5-sigchd"])
        .code(2)
        .stderr(predicate::str::contains("did you mean ch5-sigchld?"))
        .stderr(predicate::function(|e: &str| e.lines().count() == 1));
    assert!(!tmp.0.join("ch5-sigchd").exists());
}

/// The copy builds on its own (into target/exercises/, not the course's target), with the
/// programs of other lessons it brought for its copy of unp; one that does not compile is a
/// `BuildError::Failed`, after cargo's own errors, never a panic.
#[test]
fn the_copy_builds_and_one_that_does_not_compile_is_a_build_error() {
    let tmp = TempDir::new("exercise");
    exercise(&tmp.0, &["ch5-sigchld"]).success();
    let copy = tmp.0.join("ch5-sigchld");
    let programs = [
        "tcpcli01",
        "tcpcli04",
        "tcpserv02",
        "tcpserv03",
        "tcpserv04",
    ];
    assert_eq!(exercise::programs_in(&copy), programs);
    let bins = exercise::build_copy(&copy).expect("the copy builds");
    assert_eq!(bins, exercise::target_dir().join("debug"));
    for program in [
        "tcpserv02",
        "tcpserv03",
        "tcpserv04",
        "tcpcli04",
        "tcpcli01",
    ] {
        assert!(
            bins.join(program).is_file(),
            "no {program} in {}",
            bins.display()
        );
    }
    fs::write(
        copy.join("src/bin/tcpserv04.rs"),
        "fn main() { let x: u8 = \"\"; }\n",
    )
    .unwrap();
    match exercise::build_copy(&copy) {
        Err(BuildError::Failed(what)) => assert!(what.contains("ch5-sigchld"), "{what}"),
        other => panic!("expected a failed build, got {other:?}"),
    }
    match exercise::build_copy(&tmp.0.join("ch5-zombie")) {
        Err(BuildError::Failed(what)) => assert!(what.contains("cargo xtask exercise"), "{what}"),
        other => panic!("expected no copy, got {other:?}"),
    }
}

#[test]
fn git_does_not_ignore_exercises() {
    let status = std::process::Command::new("git")
        .args([
            "check-ignore",
            "-q",
            "exercises/ch5-sigchld/src/bin/tcpserv04.rs",
        ])
        .current_dir(root())
        .status();
    // 1: not ignored; 128: not a git checkout (a tarball), nothing to ignore it either.
    if let Ok(status) = status {
        assert_ne!(status.code(), Some(0), "git ignores exercises/");
    }
    let manifest = fs::read_to_string(root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("exclude = [\"exercises\"]"));
}
