//! Finding lessons: every `crates/<lesson>/scenario.toml` is one, in the course order given by
//! its book section. Building them: `cargo build` of the packages whose programs a scenario runs.

use std::path::{Path, PathBuf};

use crate::scenario::Scenario;

pub struct Lesson {
    pub name: String,
    pub scenario: PathBuf,
}

/// The workspace's root folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is inside the workspace")
        .to_path_buf()
}

/// Every lesson, in course order (by book section; ties by name).
pub fn all() -> Vec<(Lesson, Result<Scenario, String>)> {
    let mut lessons: Vec<_> = std::fs::read_dir(root().join("crates"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|dir| dir.join("scenario.toml").is_file())
        .map(|dir| {
            let name = dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let scenario = dir.join("scenario.toml");
            let loaded = Scenario::load(&scenario);
            (Lesson { name, scenario }, loaded)
        })
        .collect();
    lessons.sort_by_key(|(lesson, s)| {
        let section = s.as_ref().map(|s| s.lesson.section.as_str()).unwrap_or("");
        (section_key(section), lesson.name.clone())
    });
    lessons
}

/// "5.8-5.10" sorts as (5, 8, 10): the chapter, the first section, then the last, so that a
/// lesson on §5.8 alone comes before one that starts there and goes on.
fn section_key(section: &str) -> (u32, u32, u32) {
    let numbers: Vec<u32> = section
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    let chapter = numbers.first().copied().unwrap_or(u32::MAX);
    if !section.contains('.') {
        return (chapter, 0, 0);
    }
    let first = numbers.get(1).copied().unwrap_or(u32::MAX);
    (chapter, first, numbers.last().copied().unwrap_or(first))
}

/// The lessons as the course numbers them (from 1), with their sections.
pub fn course(all: &[(Lesson, Result<Scenario, String>)]) -> Vec<crate::course::Entry> {
    let section = |s: &Result<Scenario, String>| {
        s.as_ref()
            .map_or(String::new(), |s| s.lesson.section.clone())
    };
    all.iter()
        .enumerate()
        .map(|(i, (l, s))| crate::course::Entry {
            number: i + 1,
            name: l.name.clone(),
            section: section(s),
        })
        .collect()
}

/// `cargo xtask list`: the lessons in course order, numbered as the course notes are, with
/// their sections and summaries, in aligned columns.
pub fn list() -> String {
    let all = all();
    let name_width = all.iter().map(|(l, _)| l.name.len()).max().unwrap_or(0);
    let section = |s: &Result<Scenario, String>| match s {
        Ok(s) => crate::course::shown_section(&s.lesson.section),
        Err(_) => String::new(),
    };
    let section_width = all.iter().map(|(_, s)| section(s).chars().count()).max();
    let section_width = section_width.unwrap_or(0);
    let mut text = String::new();
    for (i, (lesson, scenario)) in all.iter().enumerate() {
        let (name, n) = (&lesson.name, i + 1);
        let line = match scenario {
            Ok(s) => format!(
                "{n:>2}  {name:<name_width$}  {:<section_width$}  {}\n",
                section(scenario),
                s.lesson.summary
            ),
            Err(e) => format!("{n:>2}  {name:<name_width$}  (scenario does not load: {e})\n"),
        };
        text.push_str(&line);
    }
    text
}

/// The lesson `typed` names, as its index in `names` (the lessons in course order); else the
/// error to print, which suggests what may have been meant. Every command that takes a lesson
/// asks here, so that each suggests alike.
pub fn find(typed: &str, names: &[String]) -> Result<usize, String> {
    if let Some(i) = names.iter().position(|n| n == typed) {
        return Ok(i);
    }
    // With a suggestion the error is one line; without one, the list to choose from.
    let hint = match suggest(typed, names).as_slice() {
        [] => {
            return Err(format!(
                "no lesson named `{typed}`; the lessons are:\n{}",
                list()
            ));
        }
        [one] => format!("did you mean {one}?"),
        [many @ .., last] => format!("did you mean {} or {last}?", many.join(", ")),
    };
    Err(format!(
        "no lesson named `{typed}`; {hint} (`cargo xtask list` shows them all)"
    ))
}

/// The lessons `typed` may have meant, in course order: the one it names in other letters
/// (`ch5-SIGCHLD`), by its course number (`7`) or by its topic (`sigchld`, or `host` for each
/// lesson on a host); else the nearest name or topic, at most a third of its letters wrong
/// (`ch5-sigchl`, `sigchild`).
pub fn suggest<'a>(typed: &str, names: &'a [String]) -> Vec<&'a str> {
    let typed = typed.to_lowercase();
    // `ch4-sigchld` names the topic in the wrong chapter: the topic is what was meant.
    let wanted = topic(&typed);
    let pick = |hit: &dyn Fn(&str) -> bool| -> Vec<&'a str> {
        let names = names.iter().map(String::as_str);
        names.filter(|n| hit(&n.to_lowercase())).collect()
    };
    let by_number = typed
        .parse::<usize>()
        .ok()
        .and_then(|n| names.get(n.checked_sub(1)?));
    let found = match by_number {
        Some(name) => vec![name.as_str()],
        None => pick(&|n| n == typed),
    };
    let found = match found.is_empty() {
        true => pick(&|n| topic(n) == wanted),
        false => found,
    };
    let found = match found.is_empty() && !wanted.is_empty() {
        true => pick(&|n| topic(n).split('-').any(|word| word == wanted)),
        false => found,
    };
    if !found.is_empty() {
        return found;
    }
    let near = |n: &str| {
        let (by_name, by_topic) = (distance(&typed, n), distance(wanted, topic(n)));
        let ok = by_name <= n.len().max(3) / 3 || by_topic <= topic(n).len().max(3) / 3;
        ok.then_some(by_name.min(by_topic))
    };
    match names.iter().filter_map(|n| near(&n.to_lowercase())).min() {
        Some(least) => pick(&|n| near(n) == Some(least)),
        None => Vec::new(),
    }
}

/// A lesson's topic: its name after the chapter (`sigchld` of `ch5-sigchld`).
fn topic(name: &str) -> &str {
    match name.split_once('-') {
        Some((chapter, rest)) if chapter.starts_with("ch") => rest,
        _ => name,
    }
}

/// Levenshtein distance: the fewest single-letter insertions, deletions and substitutions
/// that turn `a` into `b`.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The package whose `src/bin/<program>.rs` builds `program`.
pub fn package_of(program: &str) -> Option<String> {
    let file = format!("{program}.rs");
    std::fs::read_dir(root().join("crates"))
        .ok()?
        .flatten()
        .find_map(|e| {
            let dir = e.path();
            dir.join("src/bin")
                .join(&file)
                .is_file()
                .then(|| dir.file_name()?.to_str().map(String::from))?
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        let names = [
            "ch4-iterative",
            "ch5-fork-server",
            "ch5-sigchld",
            "ch5-sigpipe",
        ];
        let hosts = ["ch5-host-crash", "ch5-host-reboot", "ch6-select-client"];
        names.iter().chain(&hosts).map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_typo_finds_its_lesson_and_nonsense_finds_none() {
        let names = names();
        assert_eq!(suggest("ch5-sigchd", &names), ["ch5-sigchld"]);
        assert_eq!(suggest("ch5-sigchild", &names), ["ch5-sigchld"]);
        assert_eq!(suggest("ch4-iterativ", &names), ["ch4-iterative"]);
        assert!(suggest("hello", &names).is_empty());
        assert!(suggest("ch9-nothing-at-all", &names).is_empty());
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn a_lesson_is_found_in_any_case_by_topic_and_by_number() {
        let names = names();
        assert_eq!(suggest("ch5-SIGCHLD", &names), ["ch5-sigchld"]);
        assert_eq!(suggest("sigchld", &names), ["ch5-sigchld"]);
        assert_eq!(suggest("SigChild", &names), ["ch5-sigchld"]);
        assert_eq!(suggest("ch4-sigchld", &names), ["ch5-sigchld"]);
        assert_eq!(suggest("fork", &names), ["ch5-fork-server"]);
        assert_eq!(
            suggest("host", &names),
            ["ch5-host-crash", "ch5-host-reboot"]
        );
        assert_eq!(suggest("2", &names), ["ch5-fork-server"]);
        assert!(suggest("0", &names).is_empty());
    }

    #[test]
    fn find_takes_only_the_exact_name_and_says_what_was_meant() {
        let names = names();
        assert_eq!(find("ch5-sigpipe", &names), Ok(3));
        let error = find("sigchld", &names).expect_err("not a lesson's name");
        assert!(error.starts_with("no lesson named `sigchld`; did you mean ch5-sigchld? "));
        assert!(!error.contains('\n'), "one line: {error}");
        let error = find("host", &names).expect_err("not a lesson's name");
        assert!(error.contains("did you mean ch5-host-crash or ch5-host-reboot? "));
        let error = find("nothing-like-it", &names).expect_err("not a lesson's name");
        assert!(
            error.contains("the lessons are:\n"),
            "the list to choose from: {error}"
        );
    }

    #[test]
    fn sections_sort_by_chapter_then_first_then_last_section() {
        assert!(section_key("4.2-4.10") < section_key("4.3"));
        assert!(section_key("5.8") < section_key("5.8-5.10"));
        assert!(section_key("6.11") > section_key("6.8"));
        assert!(section_key("15.2") > section_key("8.3"));
        assert_eq!(section_key("8"), (8, 0, 0));
    }
}
