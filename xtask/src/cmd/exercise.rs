//! `cargo xtask exercise <lesson>`: make the student's copy of a lesson in
//! `exercises/<lesson>/`, with every line the lesson teaches undone and marked as a task, and
//! say what to do next. The work is in [`crate::exercise`]; this prints it.
//!
//! The copies go to `exercises/` in the workspace, or to `$UNP_LAB_EXERCISES_DIR` (tests make
//! theirs in temporary folders); they build into `target/exercises/`, or
//! `$UNP_LAB_EXERCISES_TARGET`.
//!
//! Exit status: 0 when the copy is made; 1 when it exists already (nothing is overwritten) or
//! cannot be written; 2 for an unknown lesson or one without tasks.

use std::path::Path;
use std::process::ExitCode;

use crate::exercise::{self, Made};

#[derive(clap::Args)]
pub struct Args {
    /// The lesson to practise, for example ch5-sigchld (`cargo xtask list` shows them all)
    lesson: String,
    /// Start over: the copy there now is kept aside as exercises/<lesson>.old-N
    #[arg(long)]
    reset: bool,
}

pub fn run(args: Args) -> ExitCode {
    match exercise::make(&args.lesson, &exercise::dir(), args.reset) {
        Ok(made) => {
            print!("{}", report(&args.lesson, &made));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// What was made, the task list, and the next command.
fn report(lesson: &str, made: &Made) -> String {
    let copy = shown(&made.copy);
    let mut text = String::new();
    if let Some(aside) = &made.aside {
        text.push_str(&format!("kept your old copy as {}\n", shown(aside)));
    }
    let lines = match made.tasks.len() {
        1 => "line".to_string(),
        n => format!("{n} lines"),
    };
    text.push_str(&format!(
        "made {copy}: the lesson's programs with the {lines} it teaches undone\n"
    ));
    if !made.brought.is_empty() {
        let (them, are) = match made.brought.len() {
            1 => ("it", "is"),
            _ => ("they", "are"),
        };
        let names = match made.brought.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        text.push_str(&format!(
            "{names}, of other lessons, {are} in it too: {them} use your copy of unp\n"
        ));
    }
    text.push_str("\nYour tasks, each marked TODO(task N) in the code:\n");
    for task in &made.tasks {
        let place = match task.line_no {
            Some(line) => format!("{}:{line}", task.path.display()),
            None => task.path.display().to_string(),
        };
        text.push_str(&format!("  {}. {place}\n     {}\n", task.number, task.text));
    }
    text.push_str(&format!(
        "\nWrite them, then grade your copy: cargo xtask check {lesson}\n\
         (--watch re-checks on every save, --hint gives each open task's reason)\n"
    ));
    text
}

/// A path from the current folder when it is below it, else as it is.
fn shown(path: &Path) -> String {
    let here = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&here)
        .unwrap_or(path)
        .display()
        .to_string()
}
