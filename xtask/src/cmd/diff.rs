//! `cargo xtask diff <a> [<b>]`: what a lesson changed, as unified diffs of its programs.
//!
//! Each program of lesson b is compared with its closest ancestor: the program of the same role
//! (a server with a server, a client with a client), among those of a, of the lessons before a,
//! and of b shown before it, from which it differs in the fewest lines. So tcpserv02 is shown
//! against ch5-fork-server's tcpserv01, and tcpserv03 against tcpserv02: each diff is one
//! lesson's step. A program that is mostly new, or has no program of its role before it, is only
//! named. A program whose header names its ancestor (`//! Changes from tcpserv04: ...`, or
//! `from ch5-fork-server's tcpcli01`) is shown against that one, however much it changed: the
//! author's word beats the count of lines. A program that is neither a server nor a client
//! (signalbasic, unixbind) is shown only against the ancestor its header names, else as new. A
//! lesson with no programs of its own says which programs it plays.
//!
//! With one lesson named, a is the lesson before it in course order; the first lesson has none,
//! and its programs are all new. With a later than b, the diff goes backwards: each program of b
//! against its closest in a and the lessons between, so the lines b lacks show as removed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use similar::{Algorithm, ChangeTag, DiffTag, TextDiff};

use crate::lessons;
use crate::scenario::{Action, Scenario};
use crate::show::term::{self, ColorChoice, palette};

#[derive(clap::Args)]
pub struct Args {
    /// The earlier lesson (or, alone, the lesson to show)
    a: String,
    /// The later lesson
    b: Option<String>,
    /// Colour: auto (on a terminal, unless NO_COLOR is set or TERM=dumb; CLICOLOR_FORCE forces
    /// it), always or never
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    color: ColorChoice,
}

/// A program of a lesson: its path relative to the workspace, its role and its text.
struct Program {
    path: String,
    role: Role,
    text: String,
}

/// What a program is, by the arguments it takes (the contracts in xtask/ARCHITECTURE.md): a
/// server takes `ServerArgs`, a client `ClientArgs`. A program is only diffed against one of its
/// own role.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Server,
    Client,
    Other,
}

impl Role {
    fn of(text: &str) -> Role {
        let uses = |what: &str| text.contains(what);
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
    let found = |name: &str| lessons::find(name, &order);
    // `diff <b>` means `diff <the lesson before b> <b>`.
    let found = match &args.b {
        Some(b) => found(&args.a).and_then(|a| Ok((a, found(b)?))),
        None => found(&args.a).map(|j| (j.saturating_sub(1), j)),
    };
    let (a, b) = match found {
        Ok((_, 0)) if args.b.is_none() => return first_lesson(&order[0]),
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
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
    let color = term::wants_colour(args.color);
    let mut out = std::io::stdout().lock();
    let shown = programs(&order[b]);
    if shown.is_empty() {
        return plays_others(&order[b]);
    }
    for program in shown {
        let named = declared(&candidates, &program);
        let closest = named.or_else(|| closest(&candidates, &program));
        let shared = closest.map_or(0, |(_, n)| n.same);
        match closest {
            // Under a fifth of its lines shared: a diff would be only noise, unless the program
            // names this ancestor itself. Otherwise just name it.
            Some((base, _)) if named.is_some() || shared * 5 >= program.lines() => {
                print_diff(&mut out, &candidates[base], &program, color)
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

/// A lesson with no programs of its own (ch4-connect-errors, the host lessons) plays earlier
/// lessons' programs in new situations: say so, and name them with their lessons.
fn plays_others(lesson: &str) -> ExitCode {
    let played: Vec<String> = started_order(lesson)
        .into_iter()
        .map(|p| match lessons::package_of(&p) {
            Some(from) => format!("{p} ({from})"),
            None => p,
        })
        .collect();
    let plays = match played.as_slice() {
        [] => "no program at all".to_string(),
        [one] => one.clone(),
        [many @ .., last] => format!("{} and {last}", many.join(", ")),
    };
    println!("{lesson} has no programs of its own: it plays {plays}.");
    ExitCode::SUCCESS
}

fn new(out: &mut impl Write, program: &Program) {
    let _ = writeln!(out, "new: {} ({} lines)\n", program.path, program.lines());
}

/// The candidate `program`'s header names as its ancestor (`//! Changes from NAME:`, `from
/// LESSON's NAME:` or `from NAME (LESSON):`), with the counts of the diff between them.
fn declared(candidates: &[Program], program: &Program) -> Option<(usize, Counts)> {
    let header = program
        .text
        .lines()
        .find_map(|l| l.strip_prefix("//! Changes from "))?;
    let words = header.split(':').next()?.split_whitespace();
    let i = words
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '_'))
        .find_map(|w| candidates.iter().position(|c| c.name() == w))?;
    Some((i, counts(&candidates[i], program)))
}

/// The candidate of `program`'s role it differs least from, with the counts of the diff. A
/// program of no role (signalbasic, unixbind) has no such kin: only the ancestor its header
/// names is its own, and without one it is new, however many `use` lines it shares with another.
fn closest(candidates: &[Program], program: &Program) -> Option<(usize, Counts)> {
    candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.role == program.role && c.role != Role::Other)
        .map(|(i, c)| (i, counts(c, program)))
        .min_by_key(|(_, n)| n.changes())
}

impl Program {
    /// The program's name: its file's, as the book names it.
    fn name(&self) -> &str {
        let file = self.path.rsplit('/').next().unwrap_or(&self.path);
        file.strip_suffix(".rs").unwrap_or(file)
    }

    fn lines(&self) -> usize {
        self.text.lines().count()
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
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            Program {
                path: relative(&f),
                role: Role::of(&text),
                text,
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

/// What the diff from `a` to `b` keeps, adds and removes, in lines.
#[derive(Clone, Copy)]
struct Counts {
    same: usize,
    added: usize,
    removed: usize,
}

impl Counts {
    fn changes(self) -> usize {
        self.added + self.removed
    }
}

/// The shortest edit from `a`'s lines to `b`'s (Myers).
fn text_diff<'a>(a: &'a Program, b: &'a Program) -> TextDiff<'a, 'a, 'a, str> {
    TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .diff_lines(a.text.as_str(), b.text.as_str())
}

/// How many lines the diff from `a` to `b` keeps, adds and removes.
fn counts(a: &Program, b: &Program) -> Counts {
    let mut n = Counts {
        same: 0,
        added: 0,
        removed: 0,
    };
    for op in text_diff(a, b).ops() {
        let (tag, old, new) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => n.same += old.len(),
            DiffTag::Delete => n.removed += old.len(),
            DiffTag::Insert => n.added += new.len(),
            DiffTag::Replace => (n.removed, n.added) = (n.removed + old.len(), n.added + new.len()),
        }
    }
    n
}

/// Lines of context around each change, as `diff -u` shows.
const CONTEXT: usize = 3;

/// `a` to `b` as `diff -u` prints it, with the count of lines added and removed on the `+++`
/// line.
fn print_diff(out: &mut impl Write, a: &Program, b: &Program, color: bool) {
    let n = counts(a, b);
    let paint = |style, text: String| term::paint(color, style, &text);
    let _ = writeln!(
        out,
        "{}",
        paint(palette::HEADING, format!("--- {}", a.path))
    );
    let plus = format!("+++ {}    (+{} -{})", b.path, n.added, n.removed);
    let _ = writeln!(out, "{}", paint(palette::HEADING, plus));
    if n.changes() == 0 {
        let _ = writeln!(out, "(no change)");
        return;
    }
    let diff = text_diff(a, b);
    for hunk in diff.unified_diff().context_radius(CONTEXT).iter_hunks() {
        let _ = writeln!(out, "{}", paint(palette::HUNK, hunk.header().to_string()));
        for change in hunk.iter_changes() {
            let text = change.value().trim_end_matches('\n');
            let line = match change.tag() {
                ChangeTag::Equal => format!(" {text}"),
                ChangeTag::Delete => paint(palette::GONE, format!("-{text}")),
                ChangeTag::Insert => paint(palette::NEW, format!("+{text}")),
            };
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out);
}
