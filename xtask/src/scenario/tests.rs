//! The scenario parser: the real lessons parse, mistakes are one line naming the step and
//! the key, and hostile text (random edits of the real files) never panics.

use super::*;

const MINIMAL: &str = r#"
[lesson]
title = "t"
section = "5.1"
summary = "s"

[[step]]
say = "Start it."
start = "tcpserv01 --port {port}"
as = "serv"
wait = [{ printed = "listening on", by = "serv" }]
"#;

fn with(extra: &str) -> Result<Scenario, String> {
    Scenario::parse(&format!("{MINIMAL}\n{extra}"))
}

/// The scenario files of every lesson in the workspace.
fn lessons() -> Vec<(String, String)> {
    let crates = crate::lessons::root().join("crates");
    let mut found: Vec<(String, String)> = std::fs::read_dir(crates)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path().join("scenario.toml")).ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), text))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn every_lesson_parses() {
    let all = lessons();
    assert!(all.len() >= 18, "{} lessons", all.len());
    for (name, text) in all {
        let s = Scenario::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!s.steps.is_empty() && !s.guards.is_empty(), "{name}");
    }
}

#[test]
fn mistakes_are_one_line_naming_the_step_and_the_key() {
    let cases = [
        (
            "[[step]]\nsay = \"x\"\nexpect = [{ tcp = \"LISTEN\", of = \"serv\" }]",
            "step 2: expect #1: `of` does not go with `tcp`",
        ),
        (
            "[[step]]\nsay = \"x\"\ntype = \"a\"\nto = \"nobody\"",
            "step 2: `nobody` is not a program",
        ),
        (
            "[[step]]\nsay = \"x\"\ntype = \"a\"\nto = \"serv\"\nrepeat = 2000000000",
            "step 2: `repeat` must be between 1 and 100000",
        ),
        (
            "[[step]]\nsay = \"x\"\ncrash = \"host\"",
            "step 2: crash, reboot and route need hosts",
        ),
        (
            "[[step]]\nsay = \"A RST comes.\"",
            "step 2: the narration names a RST",
        ),
        (
            "[[step]]\nsay = \"x\"\ntimeout = 9000",
            "step 2: timeout 9000 is not between",
        ),
        ("[[step]]\nsay = \"x\"\nbogus = 1", "step 2: line"),
        (
            "[[guard]]\nfile = \"a\"\nline = \"x\"\nchange = \"x\"\nwhy = \"w\"",
            "guard 1: the change is the line itself",
        ),
        (
            "[[guard]]\nfile = \"a\"\nline = \"x\"\nchange = \"y\"\nwhy = \"w\"\ncaught = \"a test\"",
            "guard 1: caught = `a test`",
        ),
    ];
    for (extra, want) in cases {
        let err = with(extra).expect_err(extra);
        assert!(err.starts_with(want), "{extra}\n got: {err}\nwant: {want}");
        assert!(!err.contains('\n'), "{err}");
    }
}

#[test]
fn hosts_and_routes_are_checked_from_the_text() {
    let host = "[[host]]\nname = \"server\"\naddr = \"192.0.2.2\"\n";
    let with_host = |extra: &str| Scenario::parse(&format!("{host}{extra}{MINIMAL}"));
    let bad_route = with_host("routes = [\"192.0.2.5/24 unreachable\"]\n").unwrap_err();
    assert!(bad_route.contains("host bits set"), "{bad_route}");
    let bad_sysctl = with_host("sysctl = { \"net.ipv4/../x\" = 1 }\n").unwrap_err();
    assert!(
        bad_sysctl.contains("is not a network setting"),
        "{bad_sysctl}"
    );
    let outside = Scenario::parse(&format!(
        "[[host]]\nname = \"a\"\naddr = \"10.0.0.1\"\n{MINIMAL}"
    ));
    assert!(outside.unwrap_err().contains("outside the run's network"));
}

#[test]
fn parsing_reads_nothing_but_the_text() {
    // A guard whose line is in no file parses: holding the lessons to their guards is the
    // guard command's business, which asks `guard_problems` with the lesson's folder.
    let s = with("[[guard]]\nfile = \"src/nowhere.rs\"\nline = \"x\"\nchange = \"y\"\nwhy = \"w\"")
        .unwrap();
    let problems = s.guard_problems(std::path::Path::new("/nonexistent"));
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("guard 1: file `src/nowhere.rs`"),
        "{problems:?}"
    );
}

/// xorshift64: a fixed seed, so a failure repeats.
struct Random(u64);

impl Random {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below.max(1) as u64) as usize
    }
}

/// One random edit: a character removed, doubled or replaced, a line dropped or repeated, a
/// number made huge or negative, a value's quotes lost.
fn edit(text: &str, r: &mut Random) -> String {
    let chars: Vec<char> = text.chars().collect();
    let at = r.next(chars.len());
    let lines: Vec<&str> = text.lines().collect();
    let line = r.next(lines.len());
    let junk = [
        '"', '[', ']', '{', '}', '=', ',', '\n', '#', '\\', '9', '-', 'é', '\0',
    ];
    match r.next(7) {
        0 => chars[..at]
            .iter()
            .chain(&chars[(at + 1).min(chars.len())..])
            .collect(),
        1 => chars[..at]
            .iter()
            .chain(&chars[at..])
            .chain(&chars[at..])
            .take(chars.len() + 40)
            .collect(),
        2 => {
            let mut c = chars.clone();
            if !c.is_empty() {
                c[at] = junk[r.next(junk.len())];
            }
            c.into_iter().collect()
        }
        3 => lines
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != line)
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join("\n"),
        4 => text.replacen(
            |c: char| c.is_ascii_digit(),
            "99999999999999999999",
            1 + r.next(3),
        ),
        5 => text.replacen("= ", "= -", 1 + r.next(5)),
        _ => text.replacen('"', "", 1 + r.next(4)),
    }
}

#[test]
fn random_edits_of_the_real_scenarios_never_panic() {
    let mut r = Random(0x2545_f491_4f6c_dd1d);
    let lessons = lessons();
    let mut errors = 0;
    for round in 0..400 {
        let (name, text) = &lessons[round % lessons.len()];
        let mut edited = text.clone();
        for _ in 0..1 + r.next(3) {
            edited = edit(&edited, &mut r);
        }
        match std::panic::catch_unwind(|| Scenario::parse(&edited)) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                errors += 1;
                assert!(
                    !e.contains('\n'),
                    "{name}, round {round}: a two-line error: {e}"
                );
            }
            Err(_) => panic!("{name}, round {round}: the parser panicked on:\n{edited}"),
        }
    }
    assert!(
        errors > 100,
        "only {errors} of 400 edits were mistakes: the edits are too mild"
    );
}
