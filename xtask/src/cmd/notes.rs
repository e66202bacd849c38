//! `cargo xtask notes --update | --check`: keep course-notes/ true to the code.
//!
//! Each lesson has a note, `course-notes/NN-<lesson>.md`. Two parts of it are checked:
//! - its transcript, between the markers below, is the runner's output for the lesson in stable
//!   mode (PIDs, ports and timings as placeholders). `--update` rewrites it. `--check` runs the
//!   scenario again and compares everything but the tables, whose Send-Q or WCHAN may differ
//!   from run to run, the packet lines, whose timing and windows may differ (the step's packet
//!   checks are compared), and the order of lines that two programs printed at the same moment;
//! - its code references, written `[tcpserv02.rs line 67](../crates/ch5-sigchld/src/bin/
//!   tcpserv02.rs#L67): `extern "C" fn sig_chld``: the line must contain the quoted code.
//!   `--update` moves the line number to where the code now is;
//! - its guarded lines, between the markers `GUARDS_BEGIN` and `GUARDS_END`, list the scenario's
//!   `[[guard]]`s: each key line, the change that undoes it, and what catches that change
//!   (`cargo xtask guard` shows it). `--update` writes the list, before the transcript;
//! - its pictures: the key steps' SVGs in course-notes/pictures/, drawn by the same run, linked
//!   where the step's (folded) transcript is, and compared on their structure
//!   (`course/pictures.rs`).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::lessons;
use crate::scenario::{Guard, Scenario};

#[derive(clap::Args)]
pub struct Args {
    /// Rewrite the transcripts and the line numbers of code references
    #[arg(long, conflicts_with = "check")]
    update: bool,
    /// Fail if a transcript is stale or a code reference points at the wrong line
    #[arg(long)]
    check: bool,
}

const BEGIN: &str = "<!-- transcript: `cargo xtask notes --update` writes what follows -->";
const END: &str = "<!-- end of transcript -->";
const GUARDS_BEGIN: &str = "<!-- guards: `cargo xtask notes --update` writes the list below -->";
const GUARDS_END: &str = "<!-- end of guards -->";

pub fn run(args: Args) -> ExitCode {
    if !args.update && !args.check {
        eprintln!("error: say --update or --check");
        return ExitCode::from(2);
    }
    let dir = lessons::root().join("course-notes");
    let mut problems = Vec::new();
    let index = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
    let all = lessons::all();
    let order: Vec<(String, Option<PathBuf>)> = all
        .iter()
        .map(|(l, _)| (l.name.clone(), note_of(&dir, &l.name)))
        .collect();
    let course = lessons::course(&all);
    for (i, (lesson, scenario)) in all.into_iter().enumerate() {
        let note = match Note::read(&dir, i, &lesson, scenario.as_ref().ok(), &index) {
            Ok(note) => note,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let nav = navigation(&order, i);
        if args.update {
            note.update(&course, &nav, &mut problems);
        } else {
            note.check(&course, &nav, &mut problems);
        }
    }
    problems.extend(crate::course::check_files(
        &lessons::root(),
        &course,
        args.update,
    ));
    for p in &problems {
        eprintln!("error: {p}");
    }
    if problems.is_empty() {
        println!("course notes: every transcript and code reference is up to date");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One lesson's note, with what the code and a fresh run say it should hold.
struct Note {
    /// The lesson's place in the course, from 0.
    place: usize,
    path: PathBuf,
    /// `NN-<lesson>.md`, and as the errors name it, `course-notes/NN-<lesson>.md`.
    file: String,
    shown: String,
    text: String,
    /// The lesson's run, in stable mode.
    transcript: String,
    /// The pictures of its key steps from the same run: file name and SVG.
    pictures: Vec<(String, String)>,
    lesson: String,
    /// course-notes/pictures/.
    picture_dir: PathBuf,
    /// The list of guarded lines, as the scenario has them.
    guards: String,
    /// Guards whose line is not in the code once: the notes' check holds the lessons to them.
    guard_problems: Vec<String>,
}

impl Note {
    /// Read the note, and play the lesson for its transcript. Err: a problem to report.
    fn read(
        dir: &Path,
        place: usize,
        lesson: &lessons::Lesson,
        scenario: Option<&Scenario>,
        index: &str,
    ) -> Result<Note, String> {
        let name = &lesson.name;
        let path =
            note_of(dir, name).ok_or(format!("{name}: no note course-notes/NN-{name}.md"))?;
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if !index.contains(&format!("]({file})")) {
            return Err(format!("course-notes/README.md does not link {file}"));
        }
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let folder = lesson.scenario.parent().unwrap_or(Path::new("."));
        let guard_problems = scenario.map_or(Vec::new(), |s| s.guard_problems(folder));
        let (transcript, pictures) = transcript(name).map_err(|e| format!("{name}: {e}"))?;
        Ok(Note {
            place,
            shown: format!("course-notes/{file}"),
            file,
            path,
            text,
            transcript,
            pictures,
            lesson: name.clone(),
            picture_dir: dir.join(crate::course::pictures::DIR),
            guards: scenario.map_or(String::new(), |s| guard_list(name, s)),
            guard_problems,
        })
    }

    /// `--update`: write what the note should hold.
    fn update(&self, course: &[crate::course::Entry], nav: &str, problems: &mut Vec<String>) {
        let (text, shown) = (&self.text, &self.shown);
        problems.extend(crate::course::book::check_text(text, shown));
        problems.extend(self.guard_problems.iter().map(|p| format!("{shown}: {p}")));
        // A transcript that differs only in what differs from run to run is kept, so that an
        // update does not churn every note.
        let folded = self.folded();
        let same = current_transcript(text).is_some_and(|t| {
            normalize(t) == normalize(&self.transcript) && markup(t) == markup(&folded)
        });
        let updated = if same {
            text.clone()
        } else {
            replace_transcript(text, &folded)
        };
        problems.extend(crate::course::pictures::update(
            &self.picture_dir,
            &self.lesson,
            &self.pictures,
        ));
        let updated = fix_references(&updated, problems, shown);
        let updated = replace_navigation(&replace_guards(&updated, &self.guards), nav);
        let updated = crate::course::machine::fill(&updated);
        let updated = crate::course::number_heading(&updated, self.place + 1);
        problems.extend(crate::course::check_note(
            course, self.place, &self.file, &updated, shown,
        ));
        if updated != *text && std::fs::write(&self.path, updated).is_err() {
            problems.push(format!("{shown}: cannot write"));
        }
    }

    /// `--check`: say what is stale.
    fn check(&self, course: &[crate::course::Entry], nav: &str, problems: &mut Vec<String>) {
        let (text, shown) = (&self.text, &self.shown);
        problems.extend(crate::course::book::check_text(text, shown));
        problems.extend(self.guard_problems.iter().map(|p| format!("{shown}: {p}")));
        match current_transcript(text) {
            None => problems.push(format!("{shown}: no transcript between the markers")),
            Some(old) if normalize(old) != normalize(&self.transcript) => {
                let (old, new) = (normalize(old), normalize(&self.transcript));
                let at = old.iter().zip(&new).position(|(a, b)| a != b);
                let at = at.unwrap_or(old.len().min(new.len()));
                let show = |v: &[String]| v.get(at).cloned().unwrap_or("(end)".into());
                problems.push(format!(
                    "{shown}: the transcript is stale: run `cargo xtask notes --update` \
                     (the note has {:?} where the run printed {:?})",
                    show(&old),
                    show(&new)
                ))
            }
            Some(old) if markup(old) != markup(&self.folded()) => problems.push(format!(
                "{shown}: the links to the pictures, or the folds, are stale: \
                 run `cargo xtask notes --update`"
            )),
            Some(_) => {}
        }
        problems.extend(crate::course::pictures::check(
            &self.picture_dir,
            &self.lesson,
            &self.pictures,
        ));
        check_references(text, problems, shown);
        problems.extend(crate::course::machine::check(text, shown));
        problems.extend(crate::course::check_note(
            course, self.place, &self.file, text, shown,
        ));
        let stale =
            |what: &str| format!("{shown}: {what} is stale: run `cargo xtask notes --update`");
        if replace_guards(text, &self.guards) != *text {
            problems.push(stale("the list of guarded lines"));
        }
        if replace_navigation(text, nav) != *text {
            problems.push(stale("the links to the previous and next notes"));
        }
    }
}

impl Note {
    /// The transcript as the note shows it: a step at a time, folded, the pictures inline.
    fn folded(&self) -> String {
        let names: Vec<String> = self.pictures.iter().map(|(n, _)| n.clone()).collect();
        crate::course::pictures::fold(&self.transcript, &names, &self.lesson)
    }
}

/// The markup lines of a transcript (links to pictures, folds), in order.
fn markup(transcript: &str) -> Vec<&str> {
    let lines = transcript.lines().map(str::trim_end);
    lines
        .filter(|l| crate::course::pictures::is_markup(l))
        .collect()
}

/// `course-notes/NN-<lesson>.md`.
fn note_of(dir: &Path, lesson: &str) -> Option<PathBuf> {
    let suffix = format!("-{lesson}.md");
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().ends_with(&suffix))
        })
}

/// Play the lesson in stable mode with this same runner, and return what it printed and the
/// pictures of its key steps. What failed is read from the run's report, not from its printed
/// lines.
fn transcript(lesson: &str) -> Result<(String, Vec<(String, String)>), String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let report = tempfile_path(lesson);
    let pictures = report.with_extension("pictures");
    let out = Command::new(me)
        .args(["run", lesson, "--port", "0", "--stable", "--report"])
        .arg(&report)
        .arg("--pictures")
        .arg(&pictures)
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let read = crate::play::Report::read(&report);
    let _ = std::fs::remove_file(&report);
    let drawn = crate::course::pictures::existing(&pictures, lesson)
        .into_iter()
        .map(|name| {
            let svg = std::fs::read_to_string(pictures.join(&name)).unwrap_or_default();
            (name, svg)
        })
        .collect();
    let _ = std::fs::remove_dir_all(&pictures);
    if !out.status.success() {
        let why = match read {
            Ok(r) => match r.first_failure() {
                Some((step, check)) => format!("step {step}: {}", check.words()),
                None => format!("the run {}", r.outcome),
            },
            Err(_) => String::from_utf8_lossy(&out.stderr).trim().to_string(),
        };
        return Err(format!("the scenario failed: {why}"));
    }
    Ok((text, drawn))
}

/// Where a run of `lesson` writes its report for this command: a file of this process's own.
fn tempfile_path(lesson: &str) -> PathBuf {
    let name = format!("unp-lab-notes.{}.{lesson}.json", std::process::id());
    std::env::temp_dir().join(name)
}

const NAV: &str = "<!-- navigation: `cargo xtask notes --update` writes the line below -->";

/// The line that leads a reader through the course: the previous and the next lesson's note.
fn navigation(order: &[(String, Option<PathBuf>)], i: usize) -> String {
    let link = |j: usize| {
        let (name, path) = &order[j];
        let file = path
            .as_ref()
            .and_then(|p| p.file_name())
            .map_or(String::new(), |f| f.to_string_lossy().to_string());
        format!("[{name}]({file})")
    };
    let prev = match i {
        0 => "Previous: none, this is the first lesson".to_string(),
        _ => format!("Previous: {}", link(i - 1)),
    };
    let next = match order.get(i + 1) {
        Some(_) => format!("Next: {}", link(i + 1)),
        None => "Next: none, this is the last lesson".to_string(),
    };
    format!("{prev} · {next} · [All notes](README.md)")
}

/// The note with its navigation line (after the marker, at the end) set to `nav`.
fn replace_navigation(note: &str, nav: &str) -> String {
    let body = match note.find(NAV) {
        Some(at) => &note[..at],
        None => note,
    };
    format!("{}\n\n{NAV}\n{nav}\n", body.trim_end())
}

fn current_transcript(note: &str) -> Option<&str> {
    let start = note.find(BEGIN)? + BEGIN.len();
    let end = note[start..].find(END)? + start;
    Some(&note[start..end])
}

fn replace_transcript(note: &str, folded: &str) -> String {
    let block = format!("{BEGIN}\n{}\n{END}", folded.trim_end());
    match (note.find(BEGIN), note.find(END)) {
        (Some(start), Some(end)) if start < end => {
            format!("{}{block}{}", &note[..start], &note[end + END.len()..])
        }
        _ => format!("{}\n\n{block}\n", note.trim_end()),
    }
}

/// The guarded lines as a list: each a code reference (checked like the note's others), the
/// change that undoes it, why the line is there, and what catches the change.
fn guard_list(lesson: &str, scenario: &Scenario) -> String {
    let mut list = String::new();
    for guard in &scenario.guards {
        list.push_str(&guard_item(lesson, guard));
    }
    list
}

fn guard_item(lesson: &str, guard: &Guard) -> String {
    // The file is named from the lesson's folder, as `../unp/src/echo.rs`; the note links it
    // from course-notes/, as `../crates/unp/src/echo.rs`.
    let mut parts: Vec<&str> = vec!["crates", lesson];
    for part in guard.file.split('/') {
        match part {
            ".." => drop(parts.pop()),
            _ => parts.push(part),
        }
    }
    let path = parts.join("/");
    let line = lines_with(&path, &guard.line).first().copied().unwrap_or(0);
    let name = path.rsplit('/').next().unwrap_or(&path);
    let change = guard
        .change
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let caught = match guard
        .caught
        .split_whitespace()
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["test", target, test] => format!("the test `{test}` in tests/{target}.rs fails"),
        _ => "a check of the scenario fails".to_string(),
    };
    format!(
        "- [{name} line {line}](../{path}#L{line}): `{}`, changed to `{change}`: {caught}.\n  \
         What it is for: {}.\n",
        guard.line, guard.why
    )
}

/// The note with its list of guarded lines set to `list`: in place, or before the transcript.
fn replace_guards(note: &str, list: &str) -> String {
    if list.is_empty() {
        return note.to_string();
    }
    let block = format!("{GUARDS_BEGIN}\n{list}{GUARDS_END}");
    match (note.find(GUARDS_BEGIN), note.find(GUARDS_END)) {
        (Some(start), Some(end)) if start < end => {
            format!(
                "{}{block}{}",
                &note[..start],
                &note[end + GUARDS_END.len()..]
            )
        }
        _ => {
            let heading = "## Guarded lines\n\n\
                Each line the lesson teaches, the change that would undo it, and the check that \
                then fails; `cargo xtask guard` makes each change in a scratch copy and shows it \
                caught.\n\n";
            // Before the heading of the transcript's section, or at the end.
            let at = note
                .find(BEGIN)
                .and_then(|b| note[..b].rfind("\n## ").map(|h| h + 1))
                .unwrap_or(note.len());
            format!("{}{heading}{block}\n\n{}", &note[..at], &note[at..])
        }
    }
}

/// What must not change between runs: tables dropped, the lines programs printed sorted within
/// each step (two programs' lines may interleave either way), and ephemeral ports unnumbered.
fn normalize(transcript: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut printed: Vec<String> = Vec::new();
    let mut in_table = false;
    let unnumbered: Vec<String> = transcript.lines().map(unnumber_ports).collect();
    for line in unnumbered.iter().map(|l| l.trim_end()) {
        if line.starts_with("```") || crate::course::pictures::is_markup(line) {
            continue;
        }
        if line.contains("PID  PPID  STAT") || line.contains("Proto  Recv-Q") || is_view(line) {
            in_table = true;
            continue;
        }
        if in_table {
            in_table = !line.is_empty();
            continue;
        }
        if line.is_empty() {
            continue; // blank lines only space things out (and the markers add some)
        }
        let is_output = line
            .split_whitespace()
            .nth(1)
            .is_some_and(|sep| ["|", "!>", "**", ".."].contains(&sep));
        if is_output && line.starts_with("  ") {
            printed.push(line.trim_start().to_string());
            continue;
        }
        if line.starts_with("  (* = the runner") {
            continue;
        }
        // What stands for a socket table, or follows one, is the table's like its rows: a
        // socket that a slow run shows a step later leaves the table empty in this one.
        if line == "  (no socket to show)"
            || (line.starts_with("  (and ") && line.contains("TIME_WAIT"))
        {
            continue;
        }
        // Packet lines illustrate, like the tables: a delayed ACK falls into this step or the
        // next, windows differ, and segments of connections closing at once interleave. What a
        // step claims about the wire is in its packet checks (✓ lines), which are compared.
        if line.starts_with("  N.NNNNNN ") {
            continue;
        }
        printed.sort();
        out.append(&mut printed);
        out.push(line.to_string());
    }
    printed.sort();
    out.append(&mut printed);
    out
}

/// The header of a view a step adds with `show`: the descriptors (lsof's columns) or the
/// signal masks. Their rows, like ps's and netstat's, come in an order and with values (inodes,
/// pids) that differ between runs; what a step claims of them is in its checks.
fn is_view(line: &str) -> bool {
    let words: Vec<&str> = line
        .split_whitespace()
        .skip_while(|w| *w == "HOST")
        .collect();
    words.starts_with(&["COMMAND", "PID", "FD"])
        || words.starts_with(&["PID", "COMMAND", "PENDING"])
}

/// `192.0.2.1:e3` as `192.0.2.1:eN`. Ephemeral ports are numbered e1, e2, ... in the order the
/// tables first show them, and several chosen at once (a client with five connections) come in
/// a random order, so that which one is e3 differs from run to run; that a port is an ephemeral
/// one, and where it appears, does not.
fn unnumber_ports(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find('e') {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let digits = from[1..].chars().take_while(char::is_ascii_digit).count();
        let after = from[1 + digits..].chars().next();
        let prev = out.chars().last();
        let is_port = digits > 0
            && prev.is_some_and(|c| matches!(c, ':' | '.' | ' ' | '('))
            && !after.is_some_and(|c| c.is_ascii_alphanumeric());
        if is_port {
            out.push_str("eN");
            rest = &from[1 + digits..];
        } else {
            out.push('e');
            rest = &from[1..];
        }
    }
    out.push_str(rest);
    out
}

/// A code reference: `[NAME line N](../PATH#LN): `CODE``, found at byte `at` of the note.
struct Reference {
    at: usize,
    len: usize,
    path: String,
    line: usize,
    code: String,
}

fn references(note: &str) -> Vec<Reference> {
    let mut refs = Vec::new();
    let mut from = 0;
    while let Some(k) = note[from..].find("](../") {
        let target_start = from + k + 2;
        from = target_start;
        let Some(open) = note[..target_start].rfind('[') else {
            continue;
        };
        let Some(close) = note[target_start..].find(')').map(|c| c + target_start) else {
            continue;
        };
        let target = &note[target_start..close];
        let Some((path, line)) = target.split_once("#L") else {
            continue;
        };
        let rest = &note[close + 1..];
        let Some(code) = rest.strip_prefix(": `").and_then(|r| r.split('`').next()) else {
            continue;
        };
        let Ok(line) = line.parse() else { continue };
        let len = close + 1 + 3 + code.len() + 1 - open;
        refs.push(Reference {
            at: open,
            len,
            path: path.trim_start_matches("../").to_string(),
            line,
            code: code.to_string(),
        });
    }
    refs
}

/// The line numbers (from 1) of `path` that contain `code`.
fn lines_with(path: &str, code: &str) -> Vec<usize> {
    let text = std::fs::read_to_string(lessons::root().join(path)).unwrap_or_default();
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(code))
        .map(|(i, _)| i + 1)
        .collect()
}

fn check_references(note: &str, problems: &mut Vec<String>, shown: &str) {
    for r in references(note) {
        if !lines_with(&r.path, &r.code).contains(&r.line) {
            problems.push(format!(
                "{shown}: {}#L{} does not contain `{}`: run `cargo xtask notes --update`",
                r.path, r.line, r.code
            ));
        }
    }
}

fn fix_references(note: &str, problems: &mut Vec<String>, shown: &str) -> String {
    let mut out = String::new();
    let mut from = 0;
    for r in references(note) {
        let found = lines_with(&r.path, &r.code);
        let line = if found.contains(&r.line) {
            r.line
        } else if let Some(&first) = found.first() {
            first
        } else {
            problems.push(format!(
                "{shown}: no line of {} contains `{}`",
                r.path, r.code
            ));
            r.line
        };
        let name = Path::new(&r.path)
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        out.push_str(&note[from..r.at]);
        out.push_str(&format!(
            "[{name} line {line}](../{}#L{line}): `{}`",
            r.path, r.code
        ));
        from = r.at + r.len;
    }
    out.push_str(&note[from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_ignores_tables_and_the_order_of_simultaneous_output() {
        let table = "   PID  PPID  STAT  WCHAN  COMMAND\n";
        let a = format!(
            "── Step 1/1 ──\n\n  b |  two\n  a |  one\n\n{table} + p1 p0* S x y\n\n  ✓ ok\n"
        );
        let b = format!(
            "── Step 1/1 ──\n\n  a |  one\n  b |  two\n\n{table} + p1 p0* R - y\n\n  ✓ ok\n"
        );
        assert_eq!(normalize(&a), normalize(&b));
        let empty = a.replace("\n  ✓ ok", "\n  (no socket to show)\n\n  ✓ ok");
        assert_eq!(normalize(&a), normalize(&empty));
        let c = b.replace("✓ ok", "✗ not ok");
        assert_ne!(
            normalize(&a),
            normalize(&c),
            "a changed check is a stale transcript"
        );
        let d = b.replace("two", "three");
        assert_ne!(
            normalize(&a),
            normalize(&d),
            "changed output is a stale transcript"
        );
    }

    #[test]
    fn normalize_ignores_the_rows_of_the_descriptor_and_signal_views() {
        let fds = "   HOST    COMMAND   PID  FD  TYPE  NODE  REFS  NAME\n";
        let sig = "   PID  COMMAND  PENDING  BLOCKED  IGNORED  CAUGHT\n";
        let a = format!(
            "── Step 1/1 ──\n\n{fds}   server  s  p1  3  TCP  n1  1  x\n\n{sig} p1 s INT\n\n  ✓ ok\n"
        );
        let b = format!(
            "── Step 1/1 ──\n\n{fds}   client  c  p2  3  TCP  n2  1  y\n\n{sig} p1 s -\n\n  ✓ ok\n"
        );
        assert_eq!(normalize(&a), normalize(&b));
    }

    #[test]
    fn normalize_ignores_which_ephemeral_port_got_which_number() {
        let a = "── Step 1/1 ──\n\n  bt |  bind(3, 0.0.0.0:0): local 0.0.0.0:e4\n  ✓ port e4\n";
        let b = "── Step 1/1 ──\n\n  bt |  bind(3, 0.0.0.0:0): local 0.0.0.0:e6\n  ✓ port e6\n";
        assert_eq!(normalize(a), normalize(b));
        assert_eq!(
            unnumber_ports("127.0.0.1.e12 > x: seq 1"),
            "127.0.0.1.eN > x: seq 1"
        );
        assert_eq!(
            unnumber_ports("the e1 line e2x see1 fine"),
            "the eN line e2x see1 fine"
        );
        let c = a.replace("0.0.0.0:e4", "0.0.0.0:9877");
        assert_ne!(
            normalize(a),
            normalize(&c),
            "a fixed port is still compared"
        );
    }

    #[test]
    fn references_are_checked_against_the_code_and_moved_by_update() {
        let path = "crates/ch5-sigchld/src/bin/tcpserv03.rs";
        let code = "Err(Errno::EINTR) => continue,";
        let right = lines_with(path, code)[0];
        let note = format!("See [tcpserv03.rs line 1](../{path}#L1): `{code}` here.");
        let mut problems = Vec::new();
        check_references(&note, &mut problems, "note");
        assert_eq!(problems.len(), 1, "line 1 does not hold that code");
        let fixed = fix_references(&note, &mut problems, "note");
        assert_eq!(
            fixed,
            format!("See [tcpserv03.rs line {right}](../{path}#L{right}): `{code}` here.")
        );
        let mut none = Vec::new();
        check_references(&fixed, &mut none, "note");
        assert!(none.is_empty(), "{none:?}");
    }
}
