//! `cargo xtask check <lesson>`: grade a student's copy (`exercises/<lesson>/`, made by
//! `cargo xtask exercise`) from the kernel's state. The copy is built, the lesson's scenario
//! played with the student's programs in place of the lesson's (programs of other lessons that
//! it starts stay the reference), with the same tables, packets and checks; a task a test
//! guards is graded by that test, run against the student's programs. It ends with the grade.
//!
//! Exit status: 0 when every task is done; 1 when one is not, or the copy does not compile;
//! 2 for a usage mistake (no such lesson, no copy yet); 130 when interrupted.

mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cargo::BuildError;
use crate::cmd::run::{self, How, PlayArgs, Show};
use crate::exercise;
use crate::grade::{self, Grade};
use crate::scenario::{Action, Catcher, Scenario};
use crate::show::ColorChoice;
use crate::supervise;

#[derive(clap::Args)]
pub struct Args {
    /// The lesson whose exercise to grade, for example ch5-sigchld
    lesson: String,
    /// Add each open task's hint: the reason the lesson teaches the line, and the book's section
    #[arg(long)]
    hint: bool,
    /// Print the grade as JSON (for a course's autograding script) instead of the run
    #[arg(long)]
    json: bool,
    /// Check again every time a file of the copy is saved; q or Ctrl-C stops
    #[arg(long, conflicts_with = "json")]
    watch: bool,
    /// Play the scenario with the executable PATH wherever it starts the program NAME (your C
    /// program): started the book's way, with no options (repeatable)
    #[arg(long, value_name = "NAME=PATH", value_parser = run::program_arg)]
    program: Vec<(String, PathBuf)>,
    /// Colour: auto, always or never
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    color: ColorChoice,
}

pub fn run(args: Args) -> ExitCode {
    supervise::keep(&crate::cargo::held_base(&crate::cargo::bin_dir()));
    let (lesson, scenario) = match run::find(&args.lesson, None) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let copy = exercise::copy_dir(&lesson.name);
    if !copy.is_dir() {
        eprintln!(
            "error: no copy of {} to check: make it with `cargo xtask exercise {}`",
            lesson.name, lesson.name
        );
        return ExitCode::from(2);
    }
    if args.watch {
        return watch::run(&args, &scenario, &lesson.scenario, &copy);
    }
    match check_once(&args, &scenario, &lesson.scenario) {
        Ok(grade) => finish(&args, &grade),
        Err(code) => code,
    }
}

/// Print the grade; the exit status says whether every task is done.
fn finish(args: &Args, grade: &Grade) -> ExitCode {
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(grade).unwrap_or_default()
        );
    } else {
        println!();
        for line in grade.lines(args.hint) {
            println!("{line}");
        }
        if !grade.all_done() && !args.hint {
            println!(
                "(`cargo xtask check {} --hint` says why each open task matters)",
                grade.lesson
            );
        }
    }
    if grade.all_done() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Build the copy, play the scenario with it, run the tests that guard its tasks, and grade.
/// Err: the exit code of a check that could not be made (interrupted, no namespaces).
fn check_once(args: &Args, scenario: &Scenario, file: &Path) -> Result<Grade, ExitCode> {
    let lesson = &args.lesson;
    let tasks = exercise::tasks(lesson).map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    let play = PlayArgs {
        program: args.program.clone(),
        keep_going: false,
        packets: None,
        color: args.color,
        pcap: None,
        report: None,
    };
    let reference = run::prepare(scenario, file, &play)?;
    let own_dir = match exercise::build(lesson) {
        Ok(dir) => dir,
        Err(BuildError::Interrupted) => return Err(ExitCode::from(130)),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Grade::no_build(
                lesson,
                grade_tasks(&tasks, None),
                e.to_string(),
            ));
        }
    };
    let own = own_programs(scenario, &own_dir, &exercise::programs(lesson));
    let how = How {
        namespaces_only: true,
        ..How::default()
    };
    let show = Show {
        lesson,
        stable: false,
        next: false,
    };
    // With --json the grade is the whole output: the run's tables are not printed.
    let (outcome, report) = quietly(args.json, || {
        run::play_with(scenario, (&reference.dir, &own), &play, &how, &show)
    })?;
    let tests = run_tests(&tasks, &own_dir);
    let graded = grade_tasks(&tasks, Some(&tests));
    Ok(grade::grade(lesson, graded, outcome, &report))
}

/// The copy's programs the scenario starts, as the student built them (`dir`).
fn own_programs(scenario: &Scenario, dir: &Path, copy: &[String]) -> Vec<(String, PathBuf)> {
    let mut own: Vec<(String, PathBuf)> = Vec::new();
    for step in &scenario.steps {
        if let Action::Start { program, .. } = &step.action {
            let path = dir.join(program);
            let ours = copy.contains(program) && path.is_file();
            if ours && !own.iter().any(|(n, _)| n == program) {
                own.push((program.clone(), path));
            }
        }
    }
    own
}

/// The tasks as the grade takes them, with their tests' results when run.
fn grade_tasks(
    tasks: &[exercise::Task],
    tests: Option<&[(String, Result<(), String>)]>,
) -> Vec<grade::Task> {
    tasks
        .iter()
        .map(|t| {
            let test = t.guards().find_map(|g| match g.catcher() {
                Catcher::Test { name, .. } => Some(name),
                Catcher::Scenario => None,
            });
            let result = test.and_then(|name| {
                let found = tests?.iter().find(|(n, _)| *n == name);
                Some(found.map_or(Err(format!("test {name} was not run")), |(_, r)| r.clone()))
            });
            grade::Task {
                number: t.number,
                text: t.text.clone(),
                hint: t.guard.why.clone(),
                step: t.guards().find_map(|g| g.step),
                test: result,
            }
        })
        .collect()
}

/// Run each test that guards a task, against the student's programs.
fn run_tests(tasks: &[exercise::Task], own_dir: &Path) -> Vec<(String, Result<(), String>)> {
    let mut results = Vec::new();
    for guard in tasks.iter().flat_map(|t| t.guards()) {
        let Catcher::Test { target, name } = guard.catcher() else {
            continue;
        };
        if results.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let mut cmd = crate::cargo::command(&crate::lessons::root(), "test", None);
        cmd.args(["--test", &target, "--", "--exact", &name]);
        // tests/common finds the programs there first: the student's, else the course's.
        cmd.env("UNP_LAB_PROGRAMS", own_dir);
        cmd.stdout(std::process::Stdio::null());
        eprintln!("check: test {target} {name}, with your programs...");
        let result = match crate::cargo::status(cmd, &format!("test {name}")) {
            Ok(()) => Ok(()),
            Err(e) => Err(format!("test {target} {name}: {e}")),
        };
        results.push((name, result));
    }
    results
}

/// Run `f` with standard output sent nowhere when `quiet` (for `--json`, whose output is the
/// grade alone), and put it back after.
fn quietly<T>(quiet: bool, f: impl FnOnce() -> T) -> T {
    if !quiet {
        return f();
    }
    use std::io::Write;
    let saved = nix::unistd::dup(std::io::stdout());
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null");
    let (Ok(saved), Ok(null)) = (saved, null) else {
        return f();
    };
    let _ = nix::unistd::dup2_stdout(&null);
    let out = f();
    let _ = std::io::stdout().flush();
    let _ = nix::unistd::dup2_stdout(&saved);
    out
}
