//! The course's order as the student sees it: lesson N is the Nth lesson of `lessons::all()`
//! (by its scenario's `section`), and that number is never written by hand.
//!
//! `cargo xtask notes --check` checks, with the functions here, that every number a student
//! sees comes from that order: the note's file name `NN-<lesson>.md`, its heading `# N. ...`,
//! the link texts of the README's lesson table and the rows of course-notes/README.md; that
//! the sections a lesson covers are shown as its scenario's `section` says, everywhere; and
//! that no text says "lesson 5": a note names the lesson (ch5-sigpipe), whose number may change
//! when a lesson is added. It also runs the book's check (`book.rs`) on every file a student
//! reads besides the notes: the README, the scenarios, the lesson programs and the library.

use std::path::Path;

pub mod book;
pub mod machine;
pub mod pictures;

/// A lesson as the course shows it: its place (from 1), name and scenario's `section`.
pub struct Entry {
    pub number: usize,
    pub name: String,
    pub section: String,
}

/// The sections as a student reads them: "4.2-4.10" as "§4.2–4.10", "6.3-6.7, 6.10" as
/// "§6.3–6.7, 6.10", a whole chapter "8" as "ch. 8".
pub fn shown_section(section: &str) -> String {
    if section.is_empty() {
        return String::new();
    }
    if !section.contains('.') {
        return format!("ch. {section}");
    }
    format!("§{}", section.replace('-', "–"))
}

/// The note's file name: `07-ch5-sigchld.md`.
pub fn note_file(number: usize, lesson: &str) -> String {
    format!("{number:02}-{lesson}.md")
}

/// What is wrong with one note, `course[i]`'s: its file name's number, its heading's number,
/// its links to other notes, and any lesson number written by hand.
pub fn check_note(course: &[Entry], i: usize, file: &str, text: &str, shown: &str) -> Vec<String> {
    let entry = &course[i];
    let mut problems = links(text, course, shown);
    let want = note_file(entry.number, &entry.name);
    if file != want {
        problems.push(format!(
            "{shown}: lesson {} in course order is {}: rename the note {want}",
            entry.number, entry.name
        ));
    }
    let heading = text.lines().next().unwrap_or("");
    let prefix = format!("# {}. ", entry.number);
    if !heading.starts_with(&prefix) || !heading.ends_with(&format!("({})", entry.name)) {
        problems.push(format!(
            "{shown}: the heading must be `{prefix}<title> ({})`, as the course order numbers \
             it: run `cargo xtask notes --update`",
            entry.name
        ));
    }
    problems.extend(hand_numbers(text, shown));
    problems
}

/// Each link to a note, `](NN-<lesson>.md`, whose number is not the lesson's in the course.
pub fn links(text: &str, course: &[Entry], shown: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for e in course {
        let tail = format!("-{}.md", e.name);
        let want = note_file(e.number, &e.name);
        for (at, _) in text.match_indices(&tail) {
            let start = text[..at].rfind(['(', '/', '[', ' ']).map_or(0, |s| s + 1);
            let linked = &text[start..at + tail.len()];
            let numbered =
                linked.len() == want.len() && linked[..2].chars().all(|c| c.is_ascii_digit());
            if numbered && linked != want {
                problems.push(format!("{shown}: {linked} is {want} in the course order"));
            }
        }
    }
    problems
}

/// The note with its heading numbered `number`, as `--update` writes it.
pub fn number_heading(text: &str, number: usize) -> String {
    let Some(heading) = text.lines().next().and_then(|h| h.strip_prefix("# ")) else {
        return text.to_string();
    };
    let title = match heading.split_once(". ") {
        Some((n, title)) if n.chars().all(|c| c.is_ascii_digit()) => title,
        _ => heading,
    };
    let rest = &text[text.find('\n').unwrap_or(text.len())..];
    format!("# {number}. {title}{rest}")
}

/// "lesson 5", "lessons 12 and 13", "Lesson 1": a number that the course order gives, written
/// by hand.
pub fn hand_numbers(text: &str, shown: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (no, line) in text.lines().enumerate() {
        let lower = line.to_lowercase();
        for (i, _) in lower.match_indices("lesson") {
            let rest = &lower[i + "lesson".len()..];
            let rest = rest.strip_prefix('s').unwrap_or(rest);
            let word_start = !lower[..i].ends_with(|c: char| c.is_alphanumeric());
            if word_start
                && rest
                    .strip_prefix(' ')
                    .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            {
                problems.push(format!(
                    "{shown}:{}: a lesson number written by hand ({:?}): name the lesson \
                     instead, since its number comes from the course order",
                    no + 1,
                    line[i..].chars().take(12).collect::<String>()
                ));
            }
        }
    }
    problems
}

/// The README's lesson table: a row per lesson, in course order, each with the sections its
/// scenario gives and a link `[NN-<lesson>](course-notes/NN-<lesson>.md)`.
pub fn check_readme(readme: &str, course: &[Entry]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut last = 0;
    for e in course {
        let start = format!("| [{0}](crates/{0}) |", e.name);
        let Some(row) = readme.lines().position(|l| l.starts_with(&start)) else {
            problems.push(format!(
                "README.md: the lesson table has no row for {}",
                e.name
            ));
            continue;
        };
        if row < last {
            problems.push(format!(
                "README.md: the row of {} is out of course order",
                e.name
            ));
        }
        last = row;
        let cells: Vec<&str> = readme.lines().nth(row).unwrap_or("").split(" | ").collect();
        let section = shown_section(&e.section);
        if cells.get(1) != Some(&section.as_str()) {
            problems.push(format!(
                "README.md: {}'s sections are {section}, as its scenario says, not {:?}",
                e.name,
                cells.get(1).copied().unwrap_or("")
            ));
        }
        let file = note_file(e.number, &e.name);
        let stem = file.trim_end_matches(".md");
        let link = format!("[{stem}](course-notes/{file}) |");
        if !cells.last().is_some_and(|c| c.ends_with(&link)) {
            problems.push(format!("README.md: {}'s note is {link}", e.name));
        }
    }
    problems
}

/// course-notes/README.md's table: `| N | <lesson> | <sections> | [NN-<lesson>.md](...) |`.
pub fn check_index(index: &str, course: &[Entry]) -> Vec<String> {
    let mut problems = Vec::new();
    for e in course {
        let file = note_file(e.number, &e.name);
        let row = format!(
            "| {} | {} | {} | [{file}]({file}) |",
            e.number,
            e.name,
            shown_section(&e.section)
        );
        if !index.lines().any(|l| l.starts_with(&row)) {
            problems.push(format!(
                "course-notes/README.md: lesson {} is `{row}`, from the course order and its \
                 scenario's section",
                e.number
            ));
        }
    }
    problems
}

/// Every file a student reads besides the notes: the README and course-notes/README.md (their
/// tables, the book's references, no lesson number by hand, the machine's numbers: written
/// with `update`, else checked), each lesson's scenario and programs, and the library's sources.
pub fn check_files(root: &Path, course: &[Entry], update: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).unwrap_or_default();
    let readme = read("README.md");
    problems.extend(check_readme(&readme, course));
    problems.extend(links(&readme, course, "README.md"));
    problems.extend(book::check_text(&readme, "README.md"));
    problems.extend(hand_numbers(&readme, "README.md"));
    let mut index = read("course-notes/README.md");
    if update {
        let filled = machine::fill(&index);
        if filled != index && std::fs::write(root.join("course-notes/README.md"), &filled).is_err()
        {
            problems.push("course-notes/README.md: cannot write".to_string());
        }
        index = filled;
    } else {
        problems.extend(machine::check(&index, "course-notes/README.md"));
    }
    problems.extend(check_index(&index, course));
    problems.extend(book::check_text(&index, "course-notes/README.md"));
    let mut files = vec![];
    for e in course {
        files.push(format!("crates/{}/scenario.toml", e.name));
    }
    let mut dirs = vec!["crates/unp/src".to_string()];
    dirs.extend(course.iter().map(|e| format!("crates/{}/src", e.name)));
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&dir)) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        entries.sort();
        for name in entries {
            let rel = format!("{dir}/{}", name.to_string_lossy());
            if root.join(&rel).is_dir() {
                dirs.push(rel);
            } else if rel.ends_with(".rs") {
                files.push(rel);
            }
        }
    }
    for rel in files {
        let text = read(&rel);
        problems.extend(book::check_text(&text, &rel));
        problems.extend(hand_numbers(&text, &rel));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course() -> Vec<Entry> {
        [("ch4-elementary", "4.2-4.10"), ("ch8-udp-chat", "8.1-8.3")]
            .iter()
            .enumerate()
            .map(|(i, (n, s))| Entry {
                number: i + 1,
                name: n.to_string(),
                section: s.to_string(),
            })
            .collect()
    }

    /// The repository's own files pass what `notes --check` checks without playing a scenario
    /// (the notes' numbers, the book's references, the tables); `--check` adds the transcripts.
    #[test]
    fn the_course_as_written_follows_its_order_and_the_book() {
        let root = crate::lessons::root();
        let course = crate::lessons::course(&crate::lessons::all());
        let mut problems = check_files(&root, &course, false);
        for e in &course {
            let found = std::fs::read_dir(root.join("course-notes"))
                .expect("course-notes/")
                .flatten()
                .map(|f| f.file_name().to_string_lossy().to_string())
                .find(|f| f.ends_with(&format!("-{}.md", e.name)));
            let Some(file) = found else {
                problems.push(format!("{}: no note", e.name));
                continue;
            };
            let text = std::fs::read_to_string(root.join("course-notes").join(&file))
                .expect("a note reads");
            let shown = format!("course-notes/{file}");
            problems.extend(check_note(&course, e.number - 1, &file, &text, &shown));
            problems.extend(book::check_text(&text, &shown));
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn sections_are_shown_one_way() {
        assert_eq!(shown_section("4.2-4.10"), "§4.2–4.10");
        assert_eq!(shown_section("6.3-6.7, 6.10"), "§6.3–6.7, 6.10");
        assert_eq!(shown_section("5.8"), "§5.8");
        assert_eq!(shown_section("8"), "ch. 8");
    }

    #[test]
    fn a_hand_written_lesson_number_fails() {
        let text = "# 2. UDP (ch8-udp-chat)\n\nBefore select (lesson 6), a fork.\n";
        let problems = check_note(&course(), 1, "02-ch8-udp-chat.md", text, "note");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("note:3: a lesson number"),
            "{problems:?}"
        );
        assert_eq!(hand_numbers("Lessons 12 and 13", "n").len(), 1);
        let named = "Before select (ch6-select-client), a fork; the lessons 'ch6-*' too.";
        assert!(hand_numbers(named, "n").is_empty());
    }

    #[test]
    fn file_and_heading_numbers_come_from_the_course_order() {
        let c = course();
        let good =
            "# 2. UDP chat (ch8-udp-chat)\n\nAfter [ch4-elementary](01-ch4-elementary.md).\n";
        assert!(check_note(&c, 1, "02-ch8-udp-chat.md", good, "n").is_empty());
        assert_eq!(check_note(&c, 1, "16-ch8-udp-chat.md", good, "n").len(), 1);
        let heading = good.replace("# 2.", "# 12.");
        assert_eq!(
            check_note(&c, 1, "02-ch8-udp-chat.md", &heading, "n").len(),
            1
        );
        let link = good.replace("(01-ch4", "(03-ch4");
        assert_eq!(check_note(&c, 1, "02-ch8-udp-chat.md", &link, "n").len(), 1);
        assert_eq!(number_heading(&heading, 2), good);
        assert_eq!(
            number_heading("# UDP chat (ch8-udp-chat)\n", 2),
            "# 2. UDP chat (ch8-udp-chat)\n"
        );
    }

    #[test]
    fn the_readme_tables_follow_the_course() {
        let good = "| Lesson | Book | What | Note |\n\
            | [ch4-elementary](crates/ch4-elementary) | §4.2–4.10 | calls | \
            [01-ch4-elementary](course-notes/01-ch4-elementary.md) |\n\
            | [ch8-udp-chat](crates/ch8-udp-chat) | §8.1–8.3 | chat | \
            [02-ch8-udp-chat](course-notes/02-ch8-udp-chat.md) |\n";
        assert!(check_readme(good, &course()).is_empty());
        let wrong_text = good.replace("[01-ch4-elementary]", "[02-ch4-elementary]");
        assert_eq!(check_readme(&wrong_text, &course()).len(), 1);
        let wrong_section = good.replace("§8.1–8.3", "ch. 8");
        assert_eq!(check_readme(&wrong_section, &course()).len(), 1);
        let index = "| 1 | ch4-elementary | §4.2–4.10 | \
            [01-ch4-elementary.md](01-ch4-elementary.md) | x |\n\
            | 2 | ch8-udp-chat | §8.1–8.3 | [02-ch8-udp-chat.md](02-ch8-udp-chat.md) | y |\n";
        assert!(check_index(index, &course()).is_empty());
        assert_eq!(
            check_index(&index.replace("| 2 |", "| 3 |"), &course()).len(),
            1
        );
    }
}
