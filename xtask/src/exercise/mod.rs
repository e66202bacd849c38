//! Exercises: a student's own copy of a lesson, `exercises/<lesson>/`, with every line the
//! lesson teaches undone and a task written in its place.
//!
//! A lesson's `[[guard]]`s already name the lines it teaches and the change that undoes each;
//! an exercise is those changes made in a copy the student owns, each marked `TODO(task N)`.
//! The copy is a Cargo workspace of its own (the course's root excludes `exercises/`), with
//! the course's Cargo.lock, building into a target folder of its own, so that nothing a
//! student writes can break the course, and the course's reference stays in `crates/`.
//!
//! [`make`] writes the copy (the `exercise` command); [`tasks`] and [`build`] are what
//! `check` grades it with.

mod copy;
mod manifest;

use std::path::{Path, PathBuf};

use crate::cargo::{self, BuildError};
use crate::lessons;
use crate::scenario::{Guard, Scenario};

pub use copy::{Made, MakeError, make};

/// Where the copies are made: `$UNP_LAB_EXERCISES_DIR`, else `exercises/` in the workspace.
pub const DIR_VAR: &str = "UNP_LAB_EXERCISES_DIR";
/// Where the copies build: `$UNP_LAB_EXERCISES_TARGET`, else `target/exercises/`.
pub const TARGET_VAR: &str = "UNP_LAB_EXERCISES_TARGET";

/// One task of an exercise: a line the lesson teaches, undone in the student's copy.
#[derive(Debug, Clone)]
pub struct Task {
    /// From 1, in the order of the scenario's guards; the copy marks it `TODO(task N)`.
    pub number: usize,
    /// The guard whose change made this task (its `file` is from the lesson's folder).
    pub guard: Guard,
    /// Other guards of the same line: the same change, caught by something else (a test).
    pub also: Vec<Guard>,
    /// The file in the copy, from the copy's folder (`src/bin/x.rs`, `unp/src/signal.rs`).
    pub path: PathBuf,
    /// The line (from 1) of the `TODO(task N)` mark in the copy, while the copy has it.
    pub line_no: Option<usize>,
    /// The task as the mark states it.
    pub text: String,
}

impl Task {
    /// Every guard this task answers to: its own, then the others of the same line.
    pub fn guards(&self) -> impl Iterator<Item = &Guard> {
        std::iter::once(&self.guard).chain(&self.also)
    }

    /// The mark's first words, as they stand in the copy.
    pub fn mark(&self) -> String {
        mark(self.number)
    }
}

fn mark(number: usize) -> String {
    format!("TODO(task {number})")
}

/// The folder the copies are made in.
pub fn dir() -> PathBuf {
    std::env::var_os(DIR_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| lessons::root().join("exercises"))
}

/// The student's copy of `lesson`.
pub fn copy_dir(lesson: &str) -> PathBuf {
    dir().join(lesson)
}

/// The target folder every copy builds into, apart from the course's own.
pub fn target_dir() -> PathBuf {
    std::env::var_os(TARGET_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| lessons::root().join("target/exercises"))
}

/// The lesson's folder and scenario, or a one-line error (with a suggestion for a typo).
pub fn lesson(name: &str) -> Result<(PathBuf, Scenario), String> {
    let names: Vec<String> = lessons::all().into_iter().map(|(l, _)| l.name).collect();
    let name = &names[lessons::find(name, &names)?];
    let dir = lessons::root().join("crates").join(name);
    Ok((dir.clone(), Scenario::load(&dir.join("scenario.toml"))?))
}

/// The tasks of `lesson`'s exercise, numbered as its copy marks them. Guards of one line make
/// one task. `line_no` is filled from the student's copy when there is one.
pub fn tasks(lesson_name: &str) -> Result<Vec<Task>, String> {
    let (_, scenario) = lesson(lesson_name)?;
    let mut tasks = tasks_of(scenario.guards)?;
    let copy = copy_dir(lesson_name);
    for task in &mut tasks {
        let text = std::fs::read_to_string(copy.join(&task.path)).unwrap_or_default();
        let mark = task.mark();
        task.line_no = text
            .lines()
            .position(|l| l.contains(&format!("{mark}:")))
            .map(|i| i + 1);
    }
    Ok(tasks)
}

/// Guards to tasks: one per distinct (file, line), in the guards' order.
fn tasks_of(guards: Vec<Guard>) -> Result<Vec<Task>, String> {
    let mut tasks: Vec<Task> = Vec::new();
    for guard in guards {
        if let Some(t) = tasks
            .iter_mut()
            .find(|t| t.guard.file == guard.file && t.guard.line == guard.line)
        {
            t.also.push(guard);
            continue;
        }
        let path = path_in_copy(&guard.file)?;
        let text = guard.task.clone().unwrap_or_else(|| guard.why.clone());
        tasks.push(Task {
            number: tasks.len() + 1,
            guard,
            also: Vec::new(),
            path,
            line_no: None,
            text,
        });
    }
    Ok(tasks)
}

/// A guard's file (from the lesson's folder) as a path in the copy: the lesson's own files
/// keep their place, the shared library's go to `unp/`.
fn path_in_copy(file: &str) -> Result<PathBuf, String> {
    let path = Path::new(file);
    if let Ok(rest) = path.strip_prefix("../unp") {
        return Ok(Path::new("unp").join(rest));
    }
    if path.starts_with("..") || path.is_absolute() {
        return Err(format!(
            "guard file `{file}`: an exercise can copy only the lesson and crates/unp"
        ));
    }
    Ok(path.to_path_buf())
}

/// The programs of the student's copy of `lesson` (its `src/bin/*.rs`, sorted): the ones to
/// play in place of the course's. Besides the lesson's own, a copy with a task in unp has the
/// programs of other lessons that its scenario starts, built with the student's unp.
pub fn programs(lesson: &str) -> Vec<String> {
    programs_in(&copy_dir(lesson))
}

/// The programs of the copy in the folder `copy`.
pub fn programs_in(copy: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(copy.join("src/bin"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.strip_suffix(".rs").map(String::from)
        })
        .collect();
    names.sort();
    names
}

/// Build the student's copy of `lesson`; return the folder its programs are in. A copy that
/// does not compile gives cargo's own errors (on stderr), then `BuildError::Failed`; so does a
/// lesson without a copy (the message says to make one).
pub fn build(lesson: &str) -> Result<PathBuf, BuildError> {
    build_copy(&copy_dir(lesson))
}

/// Build the copy in the folder `copy` (a workspace of its own) into [`target_dir`].
pub fn build_copy(copy: &Path) -> Result<PathBuf, BuildError> {
    let name = copy.file_name().unwrap_or_default().to_string_lossy();
    if !copy.join("Cargo.toml").is_file() {
        return Err(BuildError::Failed(format!(
            "{} (there is no copy: `cargo xtask exercise {name}` makes it)",
            copy.display()
        )));
    }
    let target = target_dir();
    let mut cmd = cargo::command(copy, "build", Some(&target));
    cmd.arg("--bins");
    cargo::status(cmd, &format!("your copy, {}", copy.display()))?;
    Ok(target.join("debug"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(file: &str, line: &str, caught: &str) -> Guard {
        Guard {
            file: file.into(),
            line: line.into(),
            change: "x".into(),
            why: "because (§1.1)".into(),
            caught: caught.into(),
            task: None,
            step: None,
        }
    }

    #[test]
    fn guards_of_one_line_are_one_task_and_unp_goes_to_the_copys_unp() {
        let tasks = tasks_of(vec![
            guard("src/bin/a.rs", "one", "scenario"),
            guard("../unp/src/signal.rs", "two", "scenario"),
            guard("src/bin/a.rs", "one", "test t n"),
        ])
        .unwrap();
        assert_eq!(tasks.len(), 2);
        assert_eq!(tasks[0].also.len(), 1);
        assert_eq!(tasks[0].guards().count(), 2);
        assert_eq!(tasks[1].number, 2);
        assert_eq!(tasks[1].path, Path::new("unp/src/signal.rs"));
        assert_eq!(tasks[1].text, "because (§1.1)");
        assert!(tasks_of(vec![guard("../ch5/src/x.rs", "a", "scenario")]).is_err());
    }
}
