//! Making the student's copy: the lesson's crate (and, when a task is in the shared library,
//! a copy of `crates/unp` and the programs of other lessons that the scenario starts, so that
//! they are built with the student's library), every guard's change made, each marked with
//! its task.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::{Task, manifest, tasks_of};
use crate::lessons;
use crate::scenario::{Action, Scenario};

/// A copy made.
#[derive(Debug)]
pub struct Made {
    pub copy: PathBuf,
    pub tasks: Vec<Task>,
    /// Where `--reset` put the copy that was there.
    pub aside: Option<PathBuf>,
    /// Programs of other lessons brought in, to be built with the copy's library.
    pub brought: Vec<String>,
}

/// Why no copy was made.
#[derive(Debug)]
pub enum MakeError {
    /// An unknown lesson, or one with nothing to do (exit 2).
    Usage(String),
    /// The copy is there already: the student's work is kept (exit 1).
    Exists(PathBuf),
    /// The files could not be written or read (exit 1).
    Io(String),
}

impl MakeError {
    pub fn exit_code(&self) -> u8 {
        match self {
            MakeError::Usage(_) => 2,
            MakeError::Exists(_) | MakeError::Io(_) => 1,
        }
    }
}

impl fmt::Display for MakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MakeError::Usage(msg) | MakeError::Io(msg) => f.write_str(msg),
            MakeError::Exists(copy) => write!(
                f,
                "{} exists, and your work in it is kept: `--reset` starts over \
                 (the old copy is kept aside)",
                copy.display()
            ),
        }
    }
}

fn io_error(what: &str, path: &Path) -> impl FnOnce(io::Error) -> MakeError {
    let msg = format!("cannot {what} {}", path.display());
    move |e| MakeError::Io(format!("{msg}: {e}"))
}

/// Make `exercises/<lesson>` (in the folder `exercises`). An existing copy is an error unless
/// `reset`, which moves it aside to `<lesson>.old-N` first. The copy is written beside its
/// place and renamed into it, so a failure leaves no half copy.
pub fn make(lesson: &str, exercises: &Path, reset: bool) -> Result<Made, MakeError> {
    let (lesson_dir, scenario) = super::lesson(lesson).map_err(MakeError::Usage)?;
    let tasks = tasks_of(scenario.guards.clone()).map_err(MakeError::Usage)?;
    if tasks.is_empty() {
        return Err(MakeError::Usage(format!(
            "`{lesson}` guards no line, so it has no exercise"
        )));
    }
    fs::create_dir_all(exercises).map_err(io_error("make", exercises))?;
    let exercises = exercises
        .canonicalize()
        .map_err(io_error("find", exercises))?;
    let copy = exercises.join(lesson);
    let aside = match (copy.exists(), reset) {
        (false, _) => None,
        (true, false) => return Err(MakeError::Exists(copy)),
        (true, true) => Some(put_aside(&copy)?),
    };
    let partial = exercises.join(format!(".{lesson}.partial"));
    if partial.exists() {
        fs::remove_dir_all(&partial).map_err(io_error("remove", &partial))?;
    }
    let written = write_copy(&lesson_dir, &scenario, &tasks, &partial, &copy);
    let brought = match written {
        Ok(brought) => brought,
        Err(e) => {
            let _ = fs::remove_dir_all(&partial);
            return Err(e);
        }
    };
    fs::rename(&partial, &copy).map_err(io_error("rename to", &copy))?;
    let mut tasks = tasks;
    for task in &mut tasks {
        let text = fs::read_to_string(copy.join(&task.path)).unwrap_or_default();
        let mark = format!("{}:", task.mark());
        task.line_no = text.lines().position(|l| l.contains(&mark)).map(|i| i + 1);
    }
    Ok(Made {
        copy,
        tasks,
        aside,
        brought,
    })
}

/// Move `copy` to the first free `<copy>.old-N`.
fn put_aside(copy: &Path) -> Result<PathBuf, MakeError> {
    let name = copy.file_name().unwrap_or_default().to_string_lossy();
    let aside = (1..)
        .map(|n| copy.with_file_name(format!("{name}.old-{n}")))
        .find(|p| !p.exists())
        .expect("some N is free");
    fs::rename(copy, &aside).map_err(io_error("move aside", copy))?;
    Ok(aside)
}

/// Write the copy into `dir` (to be renamed to `final_dir`); return the programs of other
/// lessons it brought in.
fn write_copy(
    lesson_dir: &Path,
    scenario: &Scenario,
    tasks: &[Task],
    dir: &Path,
    final_dir: &Path,
) -> Result<Vec<String>, MakeError> {
    let root = lessons::root();
    let course = manifest::Course::load(&root).map_err(MakeError::Io)?;
    copy_tree(&lesson_dir.join("src"), &dir.join("src"))?;
    let mut lesson_manifest =
        manifest::read(&lesson_dir.join("Cargo.toml")).map_err(MakeError::Io)?;
    let unp = root.join("crates/unp");
    let with_unp = tasks.iter().any(|t| t.path.starts_with("unp"));
    let mut brought = Vec::new();
    if with_unp {
        copy_tree(&unp.join("src"), &dir.join("unp/src"))?;
        let unp_manifest = manifest::read(&unp.join("Cargo.toml")).map_err(MakeError::Io)?;
        let unp_manifest =
            manifest::resolve(&unp_manifest, &unp, &course, &|p| p.display().to_string())
                .map_err(MakeError::Io)?;
        let header = "# The course's crates/unp, copied by `cargo xtask exercise`: \
                      a task of the lesson is in it.\n";
        let text = manifest::render(&unp_manifest, header, &course, false);
        fs::write(dir.join("unp/Cargo.toml"), text).map_err(io_error("write", dir))?;
        brought = bring_programs(lesson_dir, scenario, dir, &mut lesson_manifest)?;
    }
    for task in tasks {
        let path = dir.join(&task.path);
        let text = fs::read_to_string(&path).map_err(io_error("read", &path))?;
        let same_file: Vec<&Task> = tasks.iter().filter(|t| t.path == task.path).collect();
        if same_file[0].number != task.number {
            continue; // the file's first task did them all
        }
        let undone = undo(&text, &same_file)
            .map_err(|e| MakeError::Io(format!("{}: {e}", task.guard.file)))?;
        fs::write(&path, undone).map_err(io_error("write", &path))?;
    }
    // A path dependency is written relative to the copy, so the copy moves with the clone.
    let path_to = |p: &Path| {
        if with_unp && p == unp {
            "unp".to_string()
        } else {
            relative(final_dir, p).display().to_string()
        }
    };
    let resolved = manifest::resolve(&lesson_manifest, lesson_dir, &course, &path_to)
        .map_err(MakeError::Io)?;
    let lesson = final_dir.file_name().unwrap_or_default().to_string_lossy();
    let header = format!(
        "# Your copy of crates/{lesson}, made by `cargo xtask exercise {lesson}`: a workspace of \
         its own,\n# with the course's Cargo.lock. `cargo xtask check {lesson}` builds and \
         grades it.\n"
    );
    let text = manifest::render(&resolved, &header, &course, true);
    fs::write(dir.join("Cargo.toml"), text).map_err(io_error("write", dir))?;
    // `cargo build` run by hand in the copy builds into its own target/: not the student's work.
    fs::write(dir.join(".gitignore"), "/target\n").map_err(io_error("write", dir))?;
    let lock = root.join("Cargo.lock");
    fs::copy(&lock, dir.join("Cargo.lock")).map_err(io_error("copy", &lock))?;
    Ok(brought)
}

/// Copy the programs of other lessons that the scenario starts into `dir/src/bin/`, and add
/// their crates' dependencies to the copy's manifest.
fn bring_programs(
    lesson_dir: &Path,
    scenario: &Scenario,
    dir: &Path,
    lesson_manifest: &mut toml::Table,
) -> Result<Vec<String>, MakeError> {
    let mut brought = Vec::new();
    for step in &scenario.steps {
        let Action::Start { program, .. } = &step.action else {
            continue;
        };
        let file = format!("{program}.rs");
        if lesson_dir.join("src/bin").join(&file).is_file() || brought.contains(program) {
            continue;
        }
        let Some(package) = lessons::package_of(program) else {
            return Err(MakeError::Io(format!(
                "no lesson has a program `{program}`"
            )));
        };
        let crate_dir = lessons::root().join("crates").join(&package);
        let from = crate_dir.join("src/bin").join(&file);
        fs::create_dir_all(dir.join("src/bin")).map_err(io_error("make", dir))?;
        fs::copy(&from, dir.join("src/bin").join(&file)).map_err(io_error("copy", &from))?;
        let theirs = manifest::read(&crate_dir.join("Cargo.toml")).map_err(MakeError::Io)?;
        manifest::merge_dependencies(lesson_manifest, &theirs);
        brought.push(program.clone());
    }
    Ok(brought)
}

/// Copy a folder's files (not `target/`).
fn copy_tree(src: &Path, dst: &Path) -> Result<(), MakeError> {
    if src.is_dir() {
        fs::create_dir_all(dst).map_err(io_error("make", dst))?;
        for entry in fs::read_dir(src).map_err(io_error("read", src))? {
            let entry = entry.map_err(io_error("read", src))?;
            if entry.file_name() != "target" {
                copy_tree(&entry.path(), &dst.join(entry.file_name()))?;
            }
        }
        return Ok(());
    }
    fs::copy(src, dst).map_err(io_error("copy", src))?;
    Ok(())
}

/// `to` as a path from the folder `from` (both absolute).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for c in &to[common..] {
        path.push(c);
    }
    path
}

/// `text` with each task's line changed as its guard says (comments of the change left out,
/// since they would name what was taken away) and a `TODO(task N)` mark above it. The changes
/// are made at the places the lines had in `text`, so no change can hit another's result.
pub fn undo(text: &str, tasks: &[&Task]) -> Result<String, String> {
    let mut places = Vec::new();
    for task in tasks {
        let line = &task.guard.line;
        let start = text
            .find(line.as_str())
            .ok_or_else(|| format!("`{line}` is not in the file"))?;
        places.push((start, start + line.len(), *task));
    }
    places.sort_by_key(|(start, ..)| std::cmp::Reverse(*start));
    for pair in places.windows(2) {
        if pair[1].1 > pair[0].0 {
            return Err(format!(
                "tasks {} and {} overlap",
                pair[1].2.number, pair[0].2.number
            ));
        }
    }
    let mut out = text.to_string();
    for (start, end, task) in places {
        let line_start = out[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = out[end..].find('\n').map_or(out.len(), |i| end + i + 1);
        let before = &out[line_start..start];
        // A comment after the line (or one the guard's line begins) was written about the
        // taught code: it goes with it.
        let line = &task.guard.line;
        let in_comment = code_of(line).len() < line.len();
        let after = match in_comment || out[end..line_end].trim_start().starts_with("//") {
            true => "\n",
            false => &out[end..line_end],
        };
        let change = without_comments(&task.guard.change);
        let indent: String = before.chars().take_while(|c| c.is_whitespace()).collect();
        let changed = if change.is_empty() && before.trim().is_empty() && after.trim().is_empty() {
            String::new()
        } else {
            format!("{before}{change}{after}")
        };
        let mark = mark_lines(&indent, &task.mark(), &task.text);
        // The comment just above the line gives the book's reasoning for it, and so the line
        // away: the task takes its place.
        // A SAFETY comment stays: the change may keep the unsafe block it is for.
        let above = comment_above(&out[..line_start], &indent);
        let above = match out[above..line_start].contains("SAFETY:") {
            true => line_start,
            false => above,
        };
        out.replace_range(above..line_end, &format!("{mark}{changed}"));
    }
    Ok(out)
}

/// Where the `//` comment lines (not `///` or `//!`) that end `text` begin, when they have
/// the indentation `indent`; `text.len()` when there are none.
fn comment_above(text: &str, indent: &str) -> usize {
    let mut start = text.len();
    while start > 0 {
        let prev = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[prev..start];
        let comment = line
            .strip_prefix(indent)
            .filter(|l| l.starts_with("//") && !l.starts_with("///") && !l.starts_with("//!"));
        if comment.is_none() {
            break;
        }
        start = prev;
    }
    start
}

/// The task as comment lines at most 100 columns wide, each ending in a newline.
fn mark_lines(indent: &str, mark: &str, text: &str) -> String {
    let mut lines = vec![format!("{indent}// {mark}:")];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line at least");
        if last.chars().count() + 1 + word.chars().count() > 100 {
            lines.push(format!("{indent}//     {word}"));
        } else {
            last.push(' ');
            last.push_str(word);
        }
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The code of a change without its `//` comments; lines that were only a comment go.
fn without_comments(change: &str) -> String {
    let mut lines = Vec::new();
    for line in change.lines() {
        let code = code_of(line).trim_end();
        if !code.trim().is_empty() || !line.contains("//") {
            lines.push(code.to_string());
        }
    }
    lines.join("\n").trim_end().to_string()
}

/// A line of Rust up to a `//` comment that is not inside a string literal.
fn code_of(line: &str) -> &str {
    let bytes = line.as_bytes();
    let (mut in_string, mut escaped) = (false, false);
    for i in 0..bytes.len() {
        match bytes[i] {
            _ if escaped => escaped = false,
            b'\\' if in_string => escaped = true,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Guard;

    fn task(number: usize, line: &str, change: &str) -> Task {
        let guard = Guard {
            file: "src/bin/a.rs".into(),
            line: line.into(),
            change: change.into(),
            why: String::new(),
            caught: "scenario".into(),
            task: None,
            step: None,
        };
        Task {
            number,
            guard,
            also: Vec::new(),
            path: "src/bin/a.rs".into(),
            line_no: None,
            text: "close what the parent does not use (§4.9)".into(),
        }
    }

    #[test]
    fn changes_are_made_where_the_lines_were_marked_and_without_their_comments() {
        let text = "fn main() {\n    block(); // SIG_BLOCK\n    let s = \"a // b\";\n    \
                    unblock();\n    drop(connfd); // close(connfd): the end\n    \
                    // the book's close\n    // on two lines\n    close(fd);\n}\n";
        let tasks = [
            task(1, "block();", "unblock();"),
            task(2, "unblock();", "block();"),
            task(3, "drop(connfd); // close", "forget(connfd); // close"),
            task(4, "close(fd);", "// forgotten"),
        ];
        let refs: Vec<&Task> = tasks.iter().collect();
        let out = undo(text, &refs).unwrap();
        let todo =
            |n| format!("    // TODO(task {n}): close what the parent does not use (§4.9)\n");
        let want = format!(
            "fn main() {{\n{}    unblock();\n    let s = \"a // b\";\n{}    block();\n{}    \
             forget(connfd);\n{}}}\n",
            todo(1),
            todo(2),
            todo(3),
            todo(4)
        );
        assert_eq!(out, want);
        assert_eq!(code_of("let s = \"a // b\"; // c"), "let s = \"a // b\"; ");
        assert_eq!(
            without_comments("let _ = &fd; // close(fd)"),
            "let _ = &fd;"
        );
        assert_eq!(
            without_comments("return; // as 01\n    #[allow(x)]\n    shutdown()"),
            "return;\n    #[allow(x)]\n    shutdown()"
        );
    }

    #[test]
    fn long_tasks_wrap_at_100_columns_and_paths_are_relative() {
        let text = "word ".repeat(40);
        for line in mark_lines("    ", "TODO(task 1)", &text).lines() {
            assert!(line.chars().count() <= 100, "{line}");
            assert!(line.starts_with("    //"));
        }
        assert_eq!(
            relative(Path::new("/r/exercises/ch5"), Path::new("/r/crates/unp")),
            Path::new("../../crates/unp")
        );
    }
}
