//! `cargo xtask guard [LESSON...]`: show that every line a lesson teaches is guarded.
//!
//! Each lesson's scenario lists its key lines as `[[guard]]`s: the code, the change that undoes
//! it (the previous lesson's version, or the naive one the book warns against), and what should
//! catch that change. For each guard this command copies the workspace to a scratch folder,
//! applies the change there, builds, and plays the lesson's scenario (or runs the named test)
//! with a time limit. The change is caught when a check fails: the runner exits 1 and its
//! report (`run --report`) names the failed check, or the test fails. It is not caught when everything still passes, when it hangs past
//! the limit, or when the change does not even compile (then it guards nothing).
//!
//! The scratch copy lives in `target/guard/`, with a target folder of its own, so the first run
//! builds the workspace once and later ones rebuild only the crate a change touches.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::lessons;
use crate::play::Report;
use crate::scenario::Guard;
use crate::supervise::{self, INTERRUPTED};

#[derive(clap::Args)]
pub struct Args {
    /// The lessons whose guards to try (default: every lesson)
    lessons: Vec<String>,
    /// Only list the guards, with what should catch each; change nothing
    #[arg(long)]
    list: bool,
    /// Seconds a change may take to be caught, build excluded
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    limit: u64,
}

/// One guard of one lesson, with where its line is.
struct Entry {
    lesson: String,
    guard: Guard,
    /// The line number (from 1) where the guarded code starts.
    line_no: usize,
}

/// How a change fared.
enum Verdict {
    /// A check failed: the step, and the check in words (or the test that failed).
    Caught(Option<usize>, String),
    /// Everything still passed.
    Survived,
    /// Still running at the time limit; killed.
    Hung,
    /// The change did not compile, so it guards nothing.
    NoBuild(String),
    /// The run failed, but not by a check: what it said.
    Broken(String),
}

pub fn run(args: Args) -> ExitCode {
    let entries = match collect(&args.lessons) {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if args.list {
        for e in &entries {
            println!(
                "{:<18} {}:{}  `{}` -> `{}`  ({}; caught by {})",
                e.lesson,
                e.guard.file,
                e.line_no,
                e.guard.line,
                e.guard.change,
                e.guard.why,
                e.guard.caught
            );
        }
        return ExitCode::SUCCESS;
    }
    supervise::catch_signals();
    let scratch = match Scratch::sync() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot copy the workspace to target/guard: {e}");
            return ExitCode::FAILURE;
        }
    };
    let limit = Duration::from_secs(args.limit);
    let (mut caught, mut missed) = (0, 0);
    for e in &entries {
        if INTERRUPTED.load(Ordering::SeqCst) {
            eprintln!("interrupted");
            return ExitCode::from(130);
        }
        println!(
            "{:<18} {}:{}: {}",
            e.lesson, e.guard.file, e.line_no, e.guard.why
        );
        println!("  change `{}` -> `{}`", e.guard.line, e.guard.change);
        let started = Instant::now();
        let verdict = scratch.try_change(e, limit);
        match say(e, verdict, started.elapsed(), limit) {
            true => caught += 1,
            false => missed += 1,
        }
    }
    println!("{caught} of {} changes caught", caught + missed);
    if missed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Print how the change fared; whether it was caught.
fn say(e: &Entry, verdict: io::Result<Verdict>, took: Duration, limit: Duration) -> bool {
    let secs = took.as_secs_f64();
    let caught_by = &e.guard.caught;
    match verdict {
        Ok(Verdict::Caught(step, how)) => {
            let at = step.map_or(String::new(), |n| format!(" at step {n}"));
            // The step is data `check` grades by: it must be the one that catches the change.
            if step.is_some() && step != e.guard.step {
                let said = e
                    .guard
                    .step
                    .map_or("no step".into(), |n| format!("step = {n}"));
                println!("  ✗ caught{at}, but the guard says {said}: {how}");
                return false;
            }
            println!("  ✓ caught{at} in {secs:.1} s (build included): {how}");
            return true;
        }
        Ok(Verdict::Survived) => {
            println!("  ✗ not caught: with the change, {caught_by} still passes")
        }
        Ok(Verdict::Hung) => {
            println!("  ✗ not caught: {caught_by} was still running after {limit:?}")
        }
        Ok(Verdict::NoBuild(why)) => {
            println!("  ✗ the change does not compile, so it guards nothing: {why}")
        }
        Ok(Verdict::Broken(why)) => println!("  ✗ the run failed, but not by a check: {why}"),
        Err(err) => println!(
            "  ✗ could not try the change in {}/{}: {err}",
            e.lesson, e.guard.file
        ),
    }
    false
}

/// The guards of the named lessons (every lesson when none is named), in course order.
fn collect(names: &[String]) -> Result<Vec<Entry>, String> {
    let all = lessons::all();
    let known: Vec<String> = all.iter().map(|(l, _)| l.name.clone()).collect();
    for name in names {
        lessons::find(name, &known)?;
    }
    let mut entries = Vec::new();
    for (lesson, scenario) in all {
        if !names.is_empty() && !names.contains(&lesson.name) {
            continue;
        }
        let scenario = scenario?;
        let dir = lesson.scenario.parent().unwrap_or(Path::new("."));
        // The list must be true to the code: each guarded line is there, once.
        if let Some(problem) = scenario.guard_problems(dir).first() {
            return Err(format!("{}: {problem}", lesson.scenario.display()));
        }
        for guard in scenario.guards {
            let text = fs::read_to_string(dir.join(&guard.file)).unwrap_or_default();
            let at = text.find(&guard.line).unwrap_or(0);
            let line_no = text[..at].matches('\n').count() + 1;
            entries.push(Entry {
                lesson: lesson.name.clone(),
                guard,
                line_no,
            });
        }
    }
    Ok(entries)
}

/// The scratch copy of the workspace, and the target folder it builds into.
struct Scratch {
    root: PathBuf,
    target: PathBuf,
}

impl Scratch {
    /// Bring `target/guard/ws` up to date with the workspace: files whose content differs are
    /// rewritten, files gone from the workspace are removed, the rest keep their times so that
    /// cargo does not rebuild them.
    fn sync() -> io::Result<Scratch> {
        let src = lessons::root();
        let base = src.join("target/guard");
        let root = base.join("ws");
        let mut kept = BTreeSet::new();
        for top in [
            "Cargo.toml",
            "Cargo.lock",
            ".cargo",
            "crates",
            "xtask",
            "tests",
        ] {
            copy_tree(&src.join(top), &root.join(top), &mut kept)?;
        }
        remove_others(&root, &kept)?;
        Ok(Scratch {
            root,
            target: base.join("target"),
        })
    }

    /// Apply the change, build, run what should catch it, and put the line back.
    fn try_change(&self, e: &Entry, limit: Duration) -> io::Result<Verdict> {
        let path = self.root.join("crates").join(&e.lesson).join(&e.guard.file);
        let original = fs::read_to_string(&path)?;
        fs::write(&path, original.replacen(&e.guard.line, &e.guard.change, 1))?;
        let verdict = self.build_and_run(e, limit);
        fs::write(&path, original)?;
        verdict
    }

    fn build_and_run(&self, e: &Entry, limit: Duration) -> io::Result<Verdict> {
        let test: Vec<&str> = e.guard.caught.split_whitespace().collect();
        // Build first, so that a change that does not compile is told apart from one a check
        // catches, and so that the time limit measures the check, not the compiler.
        let mut build = match test.as_slice() {
            ["test", target, _] => self.cargo(&["test", "--no-run", "--test", target]),
            _ => self.cargo(&["build", "--workspace", "--bins"]),
        };
        let out = build
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()?;
        if !out.status.success() {
            let errors = String::from_utf8_lossy(&out.stderr);
            let first = errors
                .lines()
                .find(|l| l.starts_with("error"))
                .unwrap_or("");
            return Ok(Verdict::NoBuild(first.to_string()));
        }
        let mut cmd = match test.as_slice() {
            ["test", target, name] => {
                let mut cmd = self.cargo(&["test", "--test", target, "--", name]);
                cmd.env("RUST_BACKTRACE", "0");
                cmd
            }
            _ => {
                let mut cmd = Command::new(self.target.join("debug/xtask"));
                cmd.args(["run", &e.lesson, "--color", "never", "--packets", "none"]);
                cmd.arg("--report").arg(self.report());
                // Its own build of the lesson then goes to the same target folder.
                cmd.current_dir(&self.root)
                    .env("CARGO_TARGET_DIR", &self.target);
                cmd
            }
        };
        let log = self.target.join("guard.log");
        let _ = fs::remove_file(self.report());
        let (status, output) = run_limited(&mut cmd, &log, limit)?;
        let Some(status) = status else {
            return Ok(Verdict::Hung);
        };
        Ok(match test.as_slice() {
            ["test", ..] if !status.success() => {
                let failed = output
                    .lines()
                    .find(|l| l.contains("panicked at") || l.ends_with("FAILED"))
                    .unwrap_or("a test failed");
                Verdict::Caught(None, failed.trim().to_string())
            }
            ["test", ..] => Verdict::Survived,
            _ => match status.code() {
                Some(0) => Verdict::Survived,
                // A check failed, or a step's wait timed out (its message says for what): the
                // report says which. Exit 1 without one is a failure before any step.
                Some(1) => match Report::read(&self.report()).ok().and_then(|r| caught(&r)) {
                    Some((step, how)) => Verdict::Caught(Some(step), how),
                    None => Verdict::Broken(last_words(&output)),
                },
                // Exit 2 (the scenario does not load) or a crash of the runner itself: the
                // change broke something other than what the lesson checks.
                _ => Verdict::Broken(last_words(&output)),
            },
        })
    }

    /// Where the runner in the scratch copy writes its report.
    fn report(&self) -> PathBuf {
        self.target.join("guard-report.json")
    }

    /// cargo in the scratch workspace, building into its own target folder.
    fn cargo(&self, args: &[&str]) -> Command {
        let mut cmd = crate::cargo::command(&self.root, args[0], Some(&self.target));
        cmd.args(&args[1..]);
        cmd
    }
}

/// The step and the check that caught a change, from the run's report.
fn caught(report: &Report) -> Option<(usize, String)> {
    let (step, check) = report.first_failure()?;
    Some((step, check.words()))
}

/// Run `cmd` in a process group of its own, its output to `log`, for at most `limit`; on the
/// limit or on Ctrl-C the whole group gets SIGTERM (the runner cleans up on it), then SIGKILL.
/// Returns how it ended (None: it was killed) and what it printed.
fn run_limited(
    cmd: &mut Command,
    log: &Path,
    limit: Duration,
) -> io::Result<(Option<ExitStatus>, String)> {
    let out = fs::File::create(log)?;
    cmd.stdin(Stdio::null())
        .stdout(out.try_clone()?)
        .stderr(out)
        .process_group(0);
    let mut child = cmd.spawn()?;
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline || INTERRUPTED.load(Ordering::SeqCst) {
            stop(&mut child);
            break None;
        }
        // A child's end has no descriptor to wait on here; a short poll keeps the limit exact.
        std::thread::sleep(Duration::from_millis(50));
    };
    Ok((status, fs::read_to_string(log).unwrap_or_default()))
}

/// SIGTERM to the child's group, a few seconds to clean up, then SIGKILL; reaped either way.
fn stop(child: &mut Child) {
    let group = Pid::from_raw(child.id() as i32);
    let _ = killpg(group, Signal::SIGTERM);
    let grace = Instant::now() + Duration::from_secs(5);
    while Instant::now() < grace {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = killpg(group, Signal::SIGKILL);
    let _ = child.wait();
}

/// The last non-empty line of a program's output: how it said it failed.
fn last_words(output: &str) -> String {
    let last = output.lines().rev().find(|l| !l.trim().is_empty());
    last.unwrap_or("it failed without a word")
        .trim()
        .to_string()
}

/// Copy `src` (a file or a folder) to `dst`, writing only files whose content differs; record
/// every path written or kept in `kept`. `target` folders are not copied.
fn copy_tree(src: &Path, dst: &Path, kept: &mut BTreeSet<PathBuf>) -> io::Result<()> {
    kept.insert(dst.to_path_buf());
    if src.is_dir() {
        fs::create_dir_all(dst)?;
        for entry in fs::read_dir(src)? {
            let entry = entry?;
            if entry.file_name() == "target" {
                continue;
            }
            copy_tree(&entry.path(), &dst.join(entry.file_name()), kept)?;
        }
        return Ok(());
    }
    let content = fs::read(src)?;
    if fs::read(dst).ok().as_deref() != Some(content.as_slice()) {
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(dst, content)?;
    }
    Ok(())
}

/// Remove what is in the scratch copy but no longer in the workspace (a lesson removed).
fn remove_others(dir: &Path, kept: &BTreeSet<PathBuf>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if !kept.contains(&path) {
            if path.is_dir() {
                fs::remove_dir_all(&path)?;
            } else {
                fs::remove_file(&path)?;
            }
        } else if path.is_dir() {
            remove_others(&path, kept)?;
        }
    }
    Ok(())
}
