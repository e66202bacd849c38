//! The notes' pictures and folded transcripts. A note's transcript is written a step at a
//! time: the pictures of a key step (`picture = true`) shown inline, as GitHub shows an SVG,
//! and each step's text folded in a `<details>`, so that a note reads as prose and pictures.
//! The pictures live in `course-notes/pictures/`, one file each, named after the lesson and
//! the step; `notes --check` compares them with a fresh run's on their structure (elements,
//! classes and words, not coordinates or times), since no two runs are timed alike.

use std::path::Path;

/// Where the pictures live, under course-notes/.
pub const DIR: &str = "pictures";

/// The transcript as markdown: what precedes the first step as a text block, then each step's
/// pictures and its text folded. `pictures` are the file names of the lesson's pictures.
pub fn fold(transcript: &str, pictures: &[String], lesson: &str) -> String {
    let mut out = String::new();
    let mut chunks = transcript.split("\n── Step ");
    let head = chunks.next().unwrap_or("");
    out.push_str(&format!("```text\n{}\n```\n", head.trim_end()));
    for chunk in chunks {
        let (header, body) = chunk.split_once('\n').unwrap_or((chunk, ""));
        // "2/7 ──": the step's number, and the first line of what it says.
        let number = header.split('/').next().unwrap_or("").trim();
        let first = body.lines().next().unwrap_or("").trim();
        out.push('\n');
        for name in pictures.iter().filter(|n| is_of_step(n, lesson, number)) {
            let what = match name.ends_with("-packets.svg") {
                true => "its packets",
                false => "the processes and their sockets after it",
            };
            out.push_str(&format!("![Step {number}: {what}]({DIR}/{name})\n\n"));
        }
        out.push_str(&format!(
            "<details><summary>── Step {} {}</summary>\n\n```text\n── Step {header}\n{}\n```\n\n\
             </details>\n",
            esc(header.trim_end_matches([' ', '─'])),
            esc(first),
            body.trim_end()
        ));
    }
    out
}

fn is_of_step(name: &str, lesson: &str, number: &str) -> bool {
    let step = format!("{lesson}-step-{number}");
    name == format!("{step}.svg") || name == format!("{step}-packets.svg")
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The lines of a folded transcript that are markup, not the run's text: the pictures' links
/// and the folds. The transcript's comparison leaves them out; they are compared on their own.
pub fn is_markup(line: &str) -> bool {
    line.starts_with("<details>") || line.starts_with("</details>") || line.starts_with("![")
}

/// The pictures of `lesson` now in `dir`, by name.
pub fn existing(dir: &Path, lesson: &str) -> Vec<String> {
    let prefix = format!("{lesson}-step-");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".svg"))
        .collect();
    names.sort();
    names
}

/// `--update`: write the lesson's pictures into `dir`, removing any it no longer has.
pub fn update(dir: &Path, lesson: &str, fresh: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = std::fs::create_dir_all(dir) {
        return vec![format!("{}: {e}", dir.display())];
    }
    for old in existing(dir, lesson) {
        if !fresh.iter().any(|(name, _)| *name == old) {
            let _ = std::fs::remove_file(dir.join(&old));
        }
    }
    for (name, svg) in fresh {
        let path = dir.join(name);
        let now = std::fs::read_to_string(&path).unwrap_or_default();
        // A picture whose structure is the same is kept, so that an update does not churn it.
        if crate::picture::structure(&now) != crate::picture::structure(svg) {
            if let Err(e) = std::fs::write(&path, svg) {
                problems.push(format!("{}: {e}", path.display()));
            }
        }
    }
    problems
}

/// `--check`: every picture present, and drawn as a fresh run draws it.
pub fn check(dir: &Path, lesson: &str, fresh: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let names: Vec<String> = fresh.iter().map(|(n, _)| n.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    if existing(dir, lesson) != sorted {
        problems.push(format!(
            "course-notes/{DIR}/: {lesson}'s pictures should be {sorted:?}: \
             run `cargo xtask notes --update`"
        ));
    }
    for (name, svg) in fresh {
        let now = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
        let (old, new) = (
            crate::picture::structure(&now),
            crate::picture::structure(svg),
        );
        if old != new {
            let at = old.iter().zip(&new).position(|(a, b)| a != b);
            let at = at.unwrap_or(old.len().min(new.len()));
            let show = |v: &[String]| v.get(at).cloned().unwrap_or("(end)".into());
            problems.push(format!(
                "course-notes/{DIR}/{name} is stale: run `cargo xtask notes --update` \
                 (it has {:?} where the run drew {:?})",
                show(&old),
                show(&new)
            ));
        }
    }
    problems
}
