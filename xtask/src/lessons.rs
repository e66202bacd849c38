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

/// `cargo xtask list`: the lessons in course order, numbered as their notes, with their
/// sections and summaries.
pub fn list() -> String {
    let mut text = String::new();
    for (i, (lesson, scenario)) in all().into_iter().enumerate() {
        let line = match scenario {
            Ok(s) => format!(
                "{:>2}  {:<20} {:<15} {}\n",
                i + 1,
                lesson.name,
                crate::course::shown_section(&s.lesson.section),
                s.lesson.summary
            ),
            Err(e) => format!(
                "{:>2}  {:<20} (scenario does not load: {e})\n",
                i + 1,
                lesson.name
            ),
        };
        text.push_str(&line);
    }
    text
}

/// The name in `names` nearest to `typed` (by edit distance), if it is near enough to be what
/// was meant: at most a third of its letters wrong.
pub fn closest<'a>(typed: &str, names: &'a [String]) -> Option<&'a str> {
    names
        .iter()
        .map(|n| (distance(typed, n), n))
        .min()
        .filter(|(d, n)| *d <= n.len().max(3) / 3)
        .map(|(_, n)| n.as_str())
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

    #[test]
    fn a_typo_finds_its_lesson_and_nonsense_finds_none() {
        let names: Vec<String> = ["ch5-sigchld", "ch5-sigpipe", "ch4-iterative"]
            .map(String::from)
            .to_vec();
        assert_eq!(closest("ch5-sigchd", &names), Some("ch5-sigchld"));
        assert_eq!(closest("ch5-sigchild", &names), Some("ch5-sigchld"));
        assert_eq!(closest("ch4-iterativ", &names), Some("ch4-iterative"));
        assert_eq!(closest("hello", &names), None);
        assert_eq!(distance("kitten", "sitting"), 3);
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
