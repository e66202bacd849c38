//! `[[guard]]`: a line the lesson exists to teach, and the change that undoes it (the previous
//! lesson's version, or the naive one the book warns against). `cargo xtask guard` applies the
//! change to a scratch copy of the workspace and shows that a check then fails; `cargo xtask
//! exercise` hands the same changes to a student as tasks.
//!
//! ```toml
//! [[guard]]
//! file = "src/bin/tcpserv04.rs"                       # from the lesson's folder
//! line = "waitpid(None, Some(WaitPidFlag::WNOHANG))"  # exactly once in the file
//! change = "waitpid(None, None)"                      # what it becomes
//! why = "WNOHANG: the handler must not block while other children still run (§5.10)"
//! caught = "scenario"                                 # or "test TARGET NAME"
//! step = 12                            # the step whose checks catch it (`guard` verifies)
//! task = "reap every ended child without blocking (§5.10)"  # optional, for exercises
//! ```

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    pub file: String,
    pub line: String,
    pub change: String,
    pub why: String,
    /// What catches the change: `scenario` (this lesson's, the default) or `test TARGET NAME`
    /// (`cargo test --test TARGET NAME`, for what a test checks better than a scenario).
    #[serde(default = "scenario_catches")]
    pub caught: String,
    /// The step whose checks catch the change, for a guard the scenario catches: `check`
    /// grades the task by it, and `cargo xtask guard` fails if another step catches it.
    pub step: Option<usize>,
    /// The task `cargo xtask exercise` states where it undid the line: what the code must do,
    /// in the book's terms and with its section, without giving the line away (default: `why`).
    #[serde(default)]
    pub task: Option<String>,
}

fn scenario_catches() -> String {
    "scenario".into()
}

/// How a guard's change is caught.
#[derive(Debug, Clone, PartialEq)]
pub enum Catcher {
    Scenario,
    /// `cargo test --test TARGET NAME`.
    Test {
        target: String,
        name: String,
    },
}

impl Guard {
    /// What catches the change; the text was checked when the scenario was parsed.
    pub fn catcher(&self) -> Catcher {
        match self
            .caught
            .split_whitespace()
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["test", target, name] => Catcher::Test {
                target: target.to_string(),
                name: name.to_string(),
            },
            _ => Catcher::Scenario,
        }
    }

    /// What can be said of the guard from the scenario's text alone.
    pub(super) fn check(&self) -> Result<(), String> {
        if self.change == self.line {
            return Err("the change is the line itself".into());
        }
        match self
            .caught
            .split_whitespace()
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["scenario"] | ["test", _, _] => Ok(()),
            _ => Err(format!(
                "caught = `{}`: say `scenario` or `test TARGET NAME`",
                self.caught
            )),
        }
    }

    /// Whether the code the guard names is in the lesson (folder `dir`), exactly once, so that
    /// the list stays true as the code changes. The guard and notes commands hold the lessons
    /// to it; a run only warns, since a student who edits the line must see what it does.
    pub fn problem(&self, dir: &Path) -> Option<String> {
        let text = match std::fs::read_to_string(dir.join(&self.file)) {
            Ok(text) => text,
            Err(e) => return Some(format!("file `{}`: {e}", self.file)),
        };
        match text.matches(self.line.as_str()).count() {
            1 => None,
            0 => Some(format!("`{}` is not in {}", self.line, self.file)),
            n => Some(format!(
                "`{}` is in {} {n} times, not once",
                self.line, self.file
            )),
        }
    }
}
