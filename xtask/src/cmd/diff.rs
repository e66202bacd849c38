//! `cargo xtask diff <a> [<b>]`: what a lesson changed, as unified diffs of its programs.
//!
//! Each program of lesson b is compared with its closest ancestor: the program of the same role
//! (a server with a server, a client with a client), among those of a, of the lessons before a,
//! and of b shown before it, from which it differs in the fewest lines. So tcpserv02 is shown
//! against ch5-fork-server's tcpserv01, and tcpserv03 against tcpserv02: each diff is one
//! lesson's step. A program that is mostly new, or has no program of its role before it, is only
//! named. A program whose header names its ancestor (`//! Changes from tcpserv04: ...`, or
//! `from ch5-fork-server's tcpcli01`) is shown against that one, however much it changed: the
//! author's word beats the count of lines. With one lesson named, a is the lesson before it in course order; the first lesson has
//! none, and its programs are all new. With a later than b, the diff goes backwards: each program
//! of b against its closest in a and the lessons between, so the lines b lacks show as removed.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::lessons;
use crate::scenario::{Action, Scenario};

#[derive(clap::Args)]
pub struct Args {
    /// The earlier lesson (or, alone, the lesson to show)
    a: String,
    /// The later lesson
    b: Option<String>,
}

/// A program of a lesson: its path relative to the workspace, its role and its lines.
struct Program {
    path: String,
    role: Role,
    lines: Vec<String>,
}

/// What a program is, by the arguments it takes (the contracts of DESIGN.md): a server takes
/// `ServerArgs`, a client `ClientArgs`. A program is only diffed against one of its own role.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Server,
    Client,
    Other,
}

impl Role {
    fn of(lines: &[String]) -> Role {
        let uses = |what: &str| lines.iter().any(|l| l.contains(what));
        if uses("ServerArgs") {
            Role::Server
        } else if uses("ClientArgs") {
            Role::Client
        } else {
            Role::Other
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    let order: Vec<String> = lessons::all().into_iter().map(|(l, _)| l.name).collect();
    let position = |name: &str| order.iter().position(|l| l == name);
    // `diff <b>` means `diff <the lesson before b> <b>`.
    let (a, b) = match &args.b {
        Some(b) => (position(&args.a).ok_or(&args.a), position(b).ok_or(b)),
        None => match position(&args.a) {
            Some(0) => return first_lesson(&order[0]),
            Some(j) => (Ok(j - 1), Ok(j)),
            None => (Err(&args.a), Err(&args.a)),
        },
    };
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(name), _) | (_, Err(name)) => return unknown(name),
    };
    if a == b {
        eprintln!(
            "error: `{}` named twice: a lesson does not differ from itself; \
             `cargo xtask diff {}` shows what it changed",
            order[a], order[a]
        );
        return ExitCode::from(2);
    }
    // Forwards, b's ancestors: the programs of a and of every lesson before it. Backwards (a
    // comes after b), the programs of a and of the lessons between: those before b are b's own
    // ancestors, and would pair each program of b with itself.
    let forwards = a < b;
    let from = if forwards { 0 } else { b + 1 };
    let mut candidates: Vec<Program> = (from..=a).flat_map(|i| programs(&order[i])).collect();
    let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = std::io::stdout().lock();
    for program in programs(&order[b]) {
        let closest = declared(&candidates, &program).or_else(|| closest(&candidates, &program));
        let shared = closest.as_ref().map_or(0, |(_, e)| e.len() - changes(e));
        let named = declared(&candidates, &program).is_some();
        match closest {
            // Under a fifth of its lines shared: a diff would be only noise, unless the program
            // names this ancestor itself. Otherwise just name it.
            Some((base, e)) if named || shared * 5 >= program.lines.len() => {
                print_diff(&mut out, &candidates[base], &program, &e, color)
            }
            _ => new(&mut out, &program),
        }
        if forwards {
            candidates.push(program);
        }
    }
    ExitCode::SUCCESS
}

/// `diff <the first lesson>`: nothing comes before it, so each of its programs is new.
fn first_lesson(lesson: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{lesson} is the first lesson: it has no ancestor, and all its programs are new.\n"
    );
    for program in programs(lesson) {
        new(&mut out, &program);
    }
    ExitCode::SUCCESS
}

fn new(out: &mut impl Write, program: &Program) {
    let _ = writeln!(
        out,
        "new: {} ({} lines)\n",
        program.path,
        program.lines.len()
    );
}

/// The candidate `program`'s header names as its ancestor (`//! Changes from NAME:`, `from
/// LESSON's NAME:` or `from NAME (LESSON):`), with the edits between them.
fn declared(candidates: &[Program], program: &Program) -> Option<(usize, Vec<Edit>)> {
    let header = program
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("//! Changes from "))?;
    let words = header.split(':').next()?.split_whitespace();
    let i = words
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_'))
        .find_map(|w| candidates.iter().position(|c| c.name() == w))?;
    Some((i, edits(&candidates[i].lines, &program.lines)))
}

/// The candidate of `program`'s role it differs least from, with the edits between them.
fn closest(candidates: &[Program], program: &Program) -> Option<(usize, Vec<Edit>)> {
    candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.role == program.role)
        .map(|(i, c)| (i, edits(&c.lines, &program.lines)))
        .min_by_key(|(_, e)| changes(e))
}

fn changes(edits: &[Edit]) -> usize {
    edits
        .iter()
        .filter(|e| !matches!(e, Edit::Same(..)))
        .count()
}

fn unknown(name: &str) -> ExitCode {
    eprintln!(
        "error: no lesson named `{name}`; the lessons are:\n{}",
        lessons::list()
    );
    ExitCode::from(2)
}

impl Program {
    /// The program's name: its file's, as the book names it.
    fn name(&self) -> &str {
        let file = self.path.rsplit('/').next().unwrap_or(&self.path);
        file.strip_suffix(".rs").unwrap_or(file)
    }
}

/// The lesson's programs, `crates/<lesson>/src/bin/*.rs`, in the order its scenario first
/// starts them (the order the book introduces them), then by name.
fn programs(lesson: &str) -> Vec<Program> {
    let dir: PathBuf = lessons::root().join("crates").join(lesson).join("src/bin");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    let started = started_order(lesson);
    let rank = |f: &PathBuf| {
        let name = f
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        (
            started
                .iter()
                .position(|s| *s == name)
                .unwrap_or(usize::MAX),
            name,
        )
    };
    files.sort_by_key(rank);
    files
        .into_iter()
        .map(|f| {
            let lines: Vec<String> = std::fs::read_to_string(&f)
                .unwrap_or_default()
                .lines()
                .map(String::from)
                .collect();
            Program {
                path: relative(&f),
                role: Role::of(&lines),
                lines,
            }
        })
        .collect()
}

/// The programs the lesson's scenario starts, in the order it first starts them.
fn started_order(lesson: &str) -> Vec<String> {
    let path = lessons::root()
        .join("crates")
        .join(lesson)
        .join("scenario.toml");
    let Ok(scenario) = Scenario::load(&path) else {
        return Vec::new();
    };
    let mut names: Vec<String> = Vec::new();
    for step in scenario.steps {
        if let Action::Start { program, .. } = step.action
            && !names.contains(&program)
        {
            names.push(program);
        }
    }
    names
}

fn relative(path: &Path) -> String {
    path.strip_prefix(lessons::root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// One line of a diff: kept (with its line numbers in a and b), removed, or added.
#[derive(Clone, Copy)]
enum Edit {
    Same(usize, usize),
    Del(usize),
    Add(usize),
}

/// The shortest edit from `a` to `b`, by longest common subsequence.
fn edits(a: &[String], b: &[String]) -> Vec<Edit> {
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(Edit::Same(i, j));
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(Edit::Del(i)); // removals first, as diff -u prints them
            i += 1;
        } else {
            out.push(Edit::Add(j));
            j += 1;
        }
    }
    out
}

/// Lines of context around each change, as `diff -u` shows.
const CONTEXT: usize = 3;

fn print_diff(out: &mut impl Write, a: &Program, b: &Program, edits: &[Edit], color: bool) {
    let changed: Vec<usize> = (0..edits.len())
        .filter(|&k| !matches!(edits[k], Edit::Same(..)))
        .collect();
    let (adds, dels) = edits.iter().fold((0, 0), |(ad, de), e| match e {
        Edit::Add(_) => (ad + 1, de),
        Edit::Del(_) => (ad, de + 1),
        Edit::Same(..) => (ad, de),
    });
    let paint = |code: &str, text: String| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text
        }
    };
    let _ = writeln!(out, "{}", paint("1", format!("--- {}", a.path)));
    let _ = writeln!(
        out,
        "{}",
        paint("1", format!("+++ {}    (+{adds} -{dels})", b.path))
    );
    if changed.is_empty() {
        let _ = writeln!(out, "(no change)");
        return;
    }
    // Group the changes into hunks whose contexts touch.
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for &k in &changed {
        let (start, end) = (
            k.saturating_sub(CONTEXT),
            (k + CONTEXT + 1).min(edits.len()),
        );
        match hunks.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => hunks.push((start, end)),
        }
    }
    for (start, end) in hunks {
        let part = &edits[start..end];
        let first_a = part.iter().find_map(|e| match e {
            Edit::Same(i, _) | Edit::Del(i) => Some(*i),
            Edit::Add(_) => None,
        });
        let first_b = part.iter().find_map(|e| match e {
            Edit::Same(_, j) | Edit::Add(j) => Some(*j),
            Edit::Del(_) => None,
        });
        let len_a = part.iter().filter(|e| !matches!(e, Edit::Add(_))).count();
        let len_b = part.iter().filter(|e| !matches!(e, Edit::Del(_))).count();
        let at =
            |first: Option<usize>, len: usize| first.map_or(0, |f| f + 1).max(usize::from(len > 0));
        let header = format!(
            "@@ -{},{len_a} +{},{len_b} @@",
            at(first_a, len_a),
            at(first_b, len_b)
        );
        let _ = writeln!(out, "{}", paint("36", header));
        for e in part {
            let line = match *e {
                Edit::Same(i, _) => format!(" {}", a.lines[i]),
                Edit::Del(i) => paint("31", format!("-{}", a.lines[i])),
                Edit::Add(j) => paint("32", format!("+{}", b.lines[j])),
            };
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out);
}
