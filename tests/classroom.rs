//! The runner as a classroom tool: `--step` at a real terminal (a pseudo-terminal), the change
//! marks and colours, `diff` between lessons, and `watch` on programs started by hand.

mod common;

use std::io::{BufRead, BufReader};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use common::{Server, bin};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use predicates::prelude::*;

fn xtask() -> Command {
    let mut c = Command::new(bin("xtask"));
    c.timeout(Duration::from_secs(60));
    c
}

/// Lines of a diff that add or remove something (not the file headers).
fn changed_lines(diff: &str) -> usize {
    diff.lines()
        .filter(|l| {
            (l.starts_with('+') && !l.starts_with("+++"))
                || (l.starts_with('-') && !l.starts_with("---"))
        })
        .count()
}

#[test]
fn diff_fork_server_to_sigchld_shows_the_handler_arriving() {
    let out = xtask()
        .args(["diff", "ch5-fork-server", "ch5-sigchld"])
        .output()
        .expect("diff");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let pair = concat!(
        "--- crates/ch5-fork-server/src/bin/tcpserv01.rs\n",
        "+++ crates/ch5-sigchld/src/bin/tcpserv02.rs"
    );
    assert!(text.contains(pair), "{text}");
    assert!(
        text.contains("+extern \"C\" fn sig_chld(_signo: c_int) {"),
        "{text}"
    );
    assert!(
        text.contains("+        signal(Signal::SIGCHLD, sig_chld);"),
        "{text}"
    );
    // tcpserv03 is shown against tcpserv02, and differs by the EINTR arm (and its docs).
    assert!(
        text.contains("+            Err(Errno::EINTR) => continue,"),
        "{text}"
    );
    assert!(!text.contains("\x1b["), "no colour into a pipe");
}

#[test]
fn diff_between_successive_lessons_is_short() {
    let lessons =
        String::from_utf8(xtask().arg("list").output().expect("list").stdout).expect("utf-8");
    let order: Vec<&str> = lessons
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    for pair in order.windows(2) {
        // A lesson that only replays earlier programs on other hosts (ch5-host-crash, ...) has
        // no src/bin/ of its own, and nothing to show.
        if !Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates")
            .join(pair[1])
            .join("src/bin")
            .is_dir()
        {
            continue;
        }
        let out = xtask()
            .args(["diff", pair[0], pair[1]])
            .output()
            .expect("diff");
        assert!(out.status.success(), "{pair:?}");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let programs = text
            .lines()
            .filter(|l| l.starts_with("+++ ") || l.starts_with("new: "))
            .count();
        assert!(
            programs >= 1,
            "{pair:?} shows each program of the later lesson:\n{text}"
        );
        // Per program shown, a lesson changes tens of lines, not hundreds: at most about a
        // hundred where it rewrites a loop (tcpserv04's accept and fork become select's).
        assert!(
            changed_lines(&text) <= 120 * programs,
            "{pair:?}: {} lines",
            changed_lines(&text)
        );
    }
}

#[test]
fn diff_of_one_lesson_compares_with_the_one_before() {
    let alone = xtask()
        .args(["diff", "ch5-sigpipe"])
        .output()
        .expect("diff");
    let pair = xtask()
        .args(["diff", "ch5-sigchld", "ch5-sigpipe"])
        .output()
        .expect("diff");
    assert!(alone.status.success());
    assert_eq!(alone.stdout, pair.stdout);
}

#[test]
fn diff_rejects_an_unknown_lesson_and_the_same_lesson_twice_with_exit_2() {
    xtask()
        .args(["diff", "ch99-nothing"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ch5-sigchld"));
    xtask()
        .args(["diff", "ch5-sigchld", "ch5-sigchld"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("named twice"));
}

/// A lesson that only replays earlier programs says so and names them; a program that is neither
/// a server nor a client, and names no ancestor, is new rather than a diff against an
/// unrelated program.
#[test]
fn diff_names_what_a_lesson_without_programs_plays_and_new_programs_as_new() {
    xtask()
        .args(["diff", "ch5-host-crash"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "ch5-host-crash has no programs of its own: it plays tcpserv04 (ch5-sigchld) and \
             tcpcli01 (ch5-fork-server).",
        ));
    let out = xtask()
        .args(["diff", "ch5-signals"])
        .output()
        .expect("diff");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        text.contains("new: crates/ch5-signals/src/bin/signalbasic.rs"),
        "{text}"
    );
    assert!(!text.contains("getpeer"), "{text}");
    assert!(
        text.contains("+++ crates/ch5-signals/src/bin/signalmask.rs"),
        "its header names signalbasic: {text}"
    );
}

/// A lesson mistyped, in other letters or by its topic alone gets a suggestion from every
/// command that takes one, and exit 2.
#[test]
fn every_command_that_takes_a_lesson_says_which_one_was_meant() {
    let cases: [&[&str]; 5] = [
        &["diff", "ch5-sigchl"],
        &["run", "ch5-SIGCHLD"],
        &["run", "sigchld"],
        &["diff", "ch5-fork-server", "SigChild"],
        &["guard", "--list", "sigchld"],
    ];
    for args in cases {
        xtask()
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("did you mean ch5-sigchld?"));
    }
    xtask()
        .args(["run", "host"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "did you mean ch5-host-crash, ch5-host-reboot or ch5-host-shutdown?",
        ));
}

/// `list` numbers the lessons as the course notes are numbered, and its columns line up
/// however long a section is (`§6.3-6.7, 6.10`).
#[test]
fn list_numbers_the_lessons_in_aligned_columns() {
    let out = xtask().arg("list").output().expect("list");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let notes = Path::new(env!("CARGO_MANIFEST_DIR")).join("course-notes");
    for (i, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        let (n, lesson) = (
            words.next().expect("a number"),
            words.next().expect("a name"),
        );
        assert_eq!(n, (i + 1).to_string(), "{text}");
        let note = notes.join(format!("{:02}-{lesson}.md", i + 1));
        assert!(note.is_file(), "{} is lesson {n}'s note", note.display());
    }
    let column = |l: &str, at: &dyn Fn(&str) -> usize| l[..at(l)].chars().count();
    let section = |l: &str| l.find('§').expect("a section");
    let summary = |l: &str| {
        let after = section(l) + l[section(l)..].find("  ").expect("a summary");
        after + l[after..].find(|c: char| c != ' ').expect("a summary")
    };
    for at in [&section as &dyn Fn(&str) -> usize, &summary] {
        let columns: Vec<usize> = text.lines().map(|l| column(l, at)).collect();
        assert!(columns.windows(2).all(|w| w[0] == w[1]), "{text}");
    }
}

/// Usage lines name the command as typed, `cargo xtask ...`, and `run --help` names every key
/// of step mode.
#[test]
fn help_says_cargo_xtask_and_names_every_step_key() {
    let out = xtask().args(["run", "--help"]).output().expect("help");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("Usage: cargo xtask run"), "{text}");
    for key in ["Enter", "q quits", "r replays", "b goes back", "j jumps"] {
        assert!(text.contains(key), "{key}: {text}");
    }
    let out = xtask().args(["watch", "--help"]).output().expect("help");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("Usage: cargo xtask watch"), "{text}");
    assert!(text.contains("--color <WHEN>"), "{text}");
}

#[test]
fn diff_of_the_first_lesson_says_it_has_no_ancestor() {
    xtask()
        .args(["diff", "ch4-elementary"])
        .assert()
        .success()
        .stdout(predicate::str::contains("first lesson: it has no ancestor"))
        .stdout(predicate::str::contains(
            "new: crates/ch4-elementary/src/bin/stepserv.rs",
        ));
    // The iterative echo server comes from the first lesson's iterative daytime server.
    xtask()
        .args(["diff", "ch4-iterative"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "--- crates/ch4-elementary/src/bin/daytimetcpsrv1.rs\n\
             +++ crates/ch4-iterative/src/bin/iterserv.rs",
        ));
}

#[test]
fn diff_with_the_lessons_reversed_shows_the_reversed_diff() {
    let out = xtask()
        .args(["diff", "ch5-sigchld", "ch5-fork-server"])
        .output()
        .expect("diff");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(!text.contains("(no change)"), "{text}");
    // Going back from ch5-sigchld to ch5-fork-server takes the SIGCHLD handler away.
    assert!(
        text.contains("+++ crates/ch5-fork-server/src/bin/tcpserv01.rs"),
        "{text}"
    );
    assert!(
        text.contains("-extern \"C\" fn sig_chld(_signo: c_int) {"),
        "{text}"
    );
    assert!(!text.contains("+extern \"C\" fn sig_chld"), "{text}");
}

/// A server is diffed against a server and a client against a client, never across: by the
/// arguments each takes (the contracts in xtask/ARCHITECTURE.md), which their names follow.
#[test]
fn diff_pairs_programs_by_role() {
    let role = |path: &str| {
        let name = path.rsplit('/').next().unwrap_or(path);
        // The book's names: tcpserv01, iterserv, and daytimetcpsrv1 (Figure 4.11).
        if name.contains("serv") || name.contains("srv") {
            "server"
        } else if name.contains("cli") {
            "client"
        } else {
            "other"
        }
    };
    let lessons =
        String::from_utf8(xtask().arg("list").output().expect("list").stdout).expect("utf-8");
    for lesson in lessons.lines().filter_map(|l| l.split_whitespace().nth(1)) {
        let out = xtask().args(["diff", lesson]).output().expect("diff");
        assert!(out.status.success(), "{lesson}");
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        for pair in lines.windows(2) {
            if let (Some(a), Some(b)) = (pair[0].strip_prefix("--- "), pair[1].strip_prefix("+++ "))
            {
                assert_eq!(role(a), role(b), "{lesson}: {a} against {b}");
            }
        }
    }
    let fork_server = xtask()
        .args(["diff", "ch5-fork-server"])
        .output()
        .expect("diff");
    let text = String::from_utf8(fork_server.stdout).expect("utf-8");
    assert!(
        text.contains(
            "--- crates/ch4-elementary/src/bin/daytimetcpcli.rs\n\
             +++ crates/ch5-fork-server/src/bin/tcpcli01.rs"
        ),
        "the echo client comes from the daytime client, a client from a client: {text}"
    );
}

#[test]
fn tables_mark_changes_in_plain_text_without_colour_in_a_pipe() {
    let out = xtask()
        .args(["run", "ch5-fork-server", "--port", "0"])
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(out.status.success(), "{text}");
    assert!(!text.contains('\x1b'), "no escape codes into a pipe");
    // The client's exit: its row gone, the server's child now a zombie, the client's socket
    // changed from ESTABLISHED to TIME_WAIT.
    assert!(
        text.lines()
            .any(|l| l.starts_with(" - ") && l.contains("tcpcli01")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(" ~ ") && l.contains("<defunct>")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(" ~ ") && l.contains("TIME_WAIT")),
        "{text}"
    );
}

/// A program running on a pseudo-terminal, as in an instructor's terminal window.
struct OnTerminal {
    child: Child,
    master: OwnedFd,
    seen: String,
    /// Whether the runner has ended and been reaped.
    done: bool,
}

/// A test that fails midway still ends its runner: SIGKILL, which the runner's programs
/// follow (they have PDEATHSIG), and its namespaces with them.
impl Drop for OnTerminal {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl OnTerminal {
    fn start(args: &[&str], no_color: bool) -> OnTerminal {
        let env: &[(&str, &str)] = if no_color { &[("NO_COLOR", "1")] } else { &[] };
        OnTerminal::start_env(args, env)
    }

    /// Start it with these environment variables (TERM=xterm, and no colour setting, unless
    /// given here).
    fn start_env(args: &[&str], env: &[(&str, &str)]) -> OnTerminal {
        let pty = nix::pty::openpty(None, None).expect("openpty");
        // The runner must not inherit the master side: holding it, it would never see the
        // terminal close if this test failed, and would wait at its prompt for ever.
        nix::fcntl::fcntl(
            &pty.master,
            nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
        )
        .expect("close-on-exec");
        let slave = |_| Stdio::from(pty.slave.try_clone().expect("dup the terminal"));
        let mut cmd = StdCommand::new(bin("xtask"));
        cmd.args(args)
            .stdin(slave(0))
            .stdout(slave(1))
            .stderr(slave(2))
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env("TERM", "xterm")
            .envs(env.iter().copied());
        let child = cmd.spawn().expect("start the runner");
        drop(pty.slave);
        OnTerminal {
            child,
            master: pty.master,
            seen: String::new(),
            done: false,
        }
    }

    /// Read what the terminal shows until `text` appears (10 s at most).
    fn expect(&mut self, text: &str) {
        self.expect_times(text, 1);
    }

    /// Read until `text` has appeared `times` times (a prompt shown again for the next step).
    fn expect_times(&mut self, text: &str, times: usize) {
        self.expect_within(text, times, Duration::from_secs(60));
    }

    /// Read until one of `texts` appears more often than `seen_before` in all (60 s at most).
    fn expect_any(&mut self, texts: &[&str], seen_before: usize) {
        let count = |seen: &str| texts.iter().map(|t| seen.matches(t).count()).sum::<usize>();
        let limit = Duration::from_secs(60);
        self.read_until(&format!("{texts:?}"), limit, |seen| {
            count(seen) > seen_before
        });
    }

    /// `expect_times` with a limit of its own (a build comes first).
    fn expect_within(&mut self, text: &str, times: usize, limit: Duration) {
        self.read_until(&format!("{text:?}"), limit, |seen| {
            seen.matches(text).count() >= times
        });
    }

    /// Read what the terminal shows until `done` says so, for at most `limit`.
    fn read_until(&mut self, what: &str, limit: Duration, done: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(&self.seen) {
            assert!(
                Instant::now() < deadline,
                "waited for {what}; the terminal shows:\n{}",
                self.seen
            );
            let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(100u16)).expect("poll") == 0 {
                continue;
            }
            let mut buf = [0u8; 4096];
            match nix::unistd::read(&self.master, &mut buf) {
                Ok(n) if n > 0 => self.seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                _ => panic!("the terminal closed before {what}:\n{}", self.seen),
            }
        }
    }

    fn type_keys(&self, keys: &str) {
        nix::unistd::write(&self.master, keys.as_bytes()).expect("type");
    }

    fn wait(&mut self) -> std::process::ExitStatus {
        let status = self.wait_inner();
        self.done = true;
        status
    }

    fn wait_inner(&mut self) -> std::process::ExitStatus {
        // Keep reading, so that the runner never blocks on a full terminal.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the runner did not end:\n{}",
                self.seen
            );
            let mut buf = [0u8; 4096];
            let mut fds = [PollFd::new(self.master.as_fd(), PollFlags::POLLIN)];
            if poll(&mut fds, PollTimeout::from(50u16)).unwrap_or(0) > 0 {
                if let Ok(n) = nix::unistd::read(&self.master, &mut buf) {
                    self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        }
    }
}

/// The pids the runner started, from `[name, pid N]`.
fn started(text: &str) -> Vec<i32> {
    text.split(", pid ")
        .skip(1)
        .filter_map(|r| r.split(']').next()?.parse().ok())
        .collect()
}

#[test]
fn an_instructor_steps_through_a_lesson_at_a_terminal_and_quits_with_q() {
    let mut term = OnTerminal::start(&["run", "ch5-sigchld", "--step", "--port", "0"], false);
    term.expect("Step 1/");
    term.expect("[Enter: run this step, q: quit");
    for n in 2..=4 {
        // One key, no Enter needed: a space runs the step.
        term.type_keys(" ");
        term.expect(&format!("Step {n}/"));
        term.expect_times("[Enter: run this step, q: quit", n);
    }
    assert!(
        term.seen.contains("\x1b[32m  ✓"),
        "checks are green on a terminal"
    );
    assert!(term.seen.contains("listening on"), "step 1 ran");
    term.type_keys("q");
    term.expect("stopped before step 4");
    let status = term.wait();
    assert!(status.success(), "q ends the run cleanly");
    let pids = started(&term.seen);
    assert!(pids.len() >= 2, "{}", term.seen);
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "pid {pid} outlived the run"
        );
    }
}

#[test]
fn an_instructor_can_step_through_every_step_of_a_lesson() {
    let mut term = OnTerminal::start(&["run", "ch5-zombie", "--step", "--port", "0"], true);
    for n in 1..=3 {
        term.expect(&format!("Step {n}/3"));
        term.expect_times("[Enter: run this step, q: quit", n);
        term.type_keys("\n");
    }
    term.expect("✓ all 13 checks held");
    assert!(term.wait().success());
    // Colour is SGR, `ESC [ ... m`; a prompt erased (`ESC [ 2K`) is not colour.
    let sgr = term.seen.split('\x1b').skip(1).any(|rest| {
        let code = rest.strip_prefix('[').unwrap_or("");
        let end = code.find(|c: char| !c.is_ascii_digit() && c != ';');
        end.is_some_and(|i| code[i..].starts_with('m'))
    });
    assert!(!sgr, "NO_COLOR: no colour, even on a terminal");
}

/// Keys typed while a step runs are thrown away: one impatient key never runs two steps.
#[test]
fn keys_typed_ahead_are_discarded() {
    let mut term = OnTerminal::start(&["run", "ch5-zombie", "--step"], true);
    term.expect_times("[Enter: run this step, q: quit", 1);
    // Two keys at once: the first runs step 1; the second arrives while it runs.
    term.type_keys("  ");
    term.expect_times("[Enter: run this step, q: quit", 2);
    term.type_keys("q");
    term.expect("stopped before step 2");
    assert!(term.wait().success());
}

/// At the prompt, b goes back a step and j jumps to one: the run is played again from the
/// start, in new namespaces, and shown from that step.
#[test]
fn an_instructor_can_go_back_and_jump() {
    let mut term = OnTerminal::start(&["run", "ch5-zombie", "--step"], true);
    let prompt = "r: replay up to here, b: back, j: jump]";
    term.expect_times(prompt, 1);
    term.type_keys(" "); // run step 1
    term.expect_times(prompt, 2); // at step 2
    term.type_keys("b");
    term.expect("playing the run again, up to step 1");
    term.expect_times(prompt, 3);
    assert_eq!(term.seen.matches("Step 1/3").count(), 2, "{}", term.seen);
    term.type_keys("j");
    term.expect("jump to step:");
    term.type_keys("3\n");
    term.expect("Steps 1 to 2 are played without being shown");
    term.expect_times(prompt, 4);
    assert!(term.seen.contains("Step 3/3"), "{}", term.seen);
    term.type_keys("q");
    term.expect("stopped before step 3");
    assert!(term.wait().success());
}

/// `--from N` plays the steps before N unseen, and shows N on.
#[test]
fn from_starts_showing_at_a_step() {
    let out = xtask()
        .args(["run", "ch5-sigpipe", "--from", "8"])
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("Steps 1 to 7 are played without being shown"),
        "{stdout}"
    );
    assert!(!stdout.contains("Step 7/9"), "{stdout}");
    assert!(
        stdout.contains("Step 8/9") && stdout.contains("Step 9/9"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("listening on"),
        "step 1's output is not shown: {stdout}"
    );
}

/// Projector mode: with COLUMNS=80 every line fits 80 columns; the packets are drawn as the
/// diagram, which fits, rather than tcpdump lines cut short.
#[test]
fn a_lesson_fits_an_80_column_projector() {
    let out = xtask()
        .args(["run", "ch5-sigpipe"])
        .env("COLUMNS", "80")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let widest = stdout.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest <= 80, "a line of {widest} columns:\n{stdout}");
    assert!(
        stdout.contains("|<--") && !stdout.contains("Flags ["),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("(* = the runner").count(),
        1,
        "the legend once: {stdout}"
    );
}

/// At 80 columns a socket row keeps its program's name whole: the addresses give way.
#[test]
fn a_socket_row_at_80_columns_keeps_its_program() {
    let out = xtask()
        .args(["run", "ch5-host-crash", "--packets", "none"])
        .env("COLUMNS", "80")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.contains(" tcp ")).collect();
    assert!(!rows.is_empty(), "{stdout}");
    for row in rows {
        assert!(row.chars().count() <= 80, "{row}");
        let program = row.rsplit(' ').next().unwrap_or_default();
        assert!(
            program.ends_with("/tcpserv04") || program.ends_with("/tcpcli01") || program == "-",
            "{row}"
        );
    }
}

/// A lesson without servers is told nothing about a port or sockets it does not have.
#[test]
fn a_lesson_without_servers_names_no_port_and_no_missing_socket() {
    let out = xtask().args(["run", "ch5-zombie"]).output().expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("One host, its loopback only.\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("9877"), "{stdout}");
    assert!(!stdout.contains("(no socket to show)"), "{stdout}");
}

/// Colour follows the conventions: on a terminal by default; never with TERM=dumb, with
/// NO_COLOR set to anything but the empty string, or with `--color never`.
#[test]
fn colour_follows_the_conventions_on_a_terminal() {
    let coloured = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["run", "ch5-zombie"];
        all.extend_from_slice(args);
        let mut term = OnTerminal::start_env(&all, env);
        term.expect("checks held");
        assert!(term.wait().success(), "{}", term.seen);
        term.seen.contains('\x1b')
    };
    assert!(coloured(&[], &[]), "a terminal gets colour");
    assert!(!coloured(&[], &[("TERM", "dumb")]), "TERM=dumb: none");
    assert!(!coloured(&[], &[("NO_COLOR", "1")]), "NO_COLOR=1: none");
    assert!(
        coloured(&[], &[("NO_COLOR", "")]),
        "an empty NO_COLOR is unset"
    );
    assert!(!coloured(&["--color", "never"], &[]), "--color never");
    assert!(
        coloured(&["--color", "always"], &[("NO_COLOR", "1")]),
        "--color always wins"
    );
}

#[test]
fn step_mode_also_takes_piped_answers() {
    let out = xtask()
        .args(["run", "ch5-fork-server", "--step", "--port", "0"])
        .write_stdin("\n\nq\n")
        .output()
        .expect("run");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(out.status.success(), "{text}");
    assert!(text.contains("stopped before step 3"), "{text}");
    assert!(!text.contains("Step 4/7"), "{text}");
}

/// `watch` until its output shows `text`, then Ctrl-C it.
fn watch_until(args: &[&str], text: &str) -> String {
    let mut child = StdCommand::new(bin("xtask"))
        .arg("watch")
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start watch");
    let mut lines = BufReader::new(child.stdout.take().expect("piped"));
    let mut seen = String::new();
    while !seen.contains(text) {
        let mut line = String::new();
        assert!(
            lines.read_line(&mut line).expect("read") > 0,
            "watch ended early:\n{seen}"
        );
        seen.push_str(&line);
    }
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).expect("Ctrl-C");
    let status = common::wait_within(&mut child, "watch to end at Ctrl-C", common::LIMIT);
    assert!(status.success(), "Ctrl-C ends watch normally");
    seen
}

#[test]
fn watch_follows_any_process_tree_and_any_port() {
    // A C program from the system: watch knows nothing of it but its pid.
    let mut sleeper = StdCommand::new("sleep").arg("60").spawn().expect("sleep");
    let seen = watch_until(&["--pid", &sleeper.id().to_string()], "sleep 60");
    assert!(seen.contains(&format!(" + {}", sleeper.id())), "{seen}");
    let _ = sleeper.kill();
    common::wait_within(&mut sleeper, "sleep to die of SIGKILL", common::LIMIT);

    let s = Server::start("tcpserv04", &[]);
    let seen = watch_until(&["--port", &s.port.to_string()], "LISTEN");
    assert!(seen.contains(&format!("{}/tcpserv04", s.pid())), "{seen}");
}

/// A child whose parent dies leaves the parent's tree (init adopts it): watch keeps showing it.
#[test]
fn watch_keeps_showing_a_child_its_parent_left_behind() {
    let mut parent = StdCommand::new("sh")
        .args(["-c", "sleep 60 & wait"])
        .spawn()
        .expect("sh");
    let sh = parent.id();
    let mut child = StdCommand::new(bin("xtask"))
        .args(["watch", "--pid", &sh.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start watch");
    let mut lines = BufReader::new(child.stdout.take().expect("piped"));
    let mut read_until = |what: &dyn Fn(&str) -> bool| {
        let mut frame = String::new();
        loop {
            let mut line = String::new();
            assert!(
                lines.read_line(&mut line).expect("read") > 0,
                "ended:\n{frame}"
            );
            if line.starts_with("── watching") {
                frame.clear();
            }
            frame.push_str(&line);
            if what(&frame) {
                return frame;
            }
        }
    };
    let first = read_until(&|f: &str| f.lines().any(|l| l.ends_with("  sleep 60")));
    let sleeper: i32 = first
        .lines()
        .find(|l| l.ends_with("  sleep 60"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .expect("the sleeper's pid");
    kill(Pid::from_raw(sh as i32), Signal::SIGKILL).expect("kill sh");
    common::wait_within(&mut parent, "sh to die", common::LIMIT);
    let gone = format!(" - {sh} ");
    let frame = read_until(&|f: &str| f.contains(&gone) && f.contains("Proto"));
    let _ = kill(Pid::from_raw(sleeper), Signal::SIGKILL);
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).expect("Ctrl-C");
    common::wait_within(&mut child, "watch to end", common::LIMIT);
    // Its row may be marked (its STAT can change between frames): look for its pid.
    let shown = frame.lines().any(|l| {
        l.ends_with("  sleep 60") && l.split_whitespace().any(|w| w == sleeper.to_string())
    });
    assert!(shown, "the orphan is still shown:\n{frame}");
}

#[test]
fn watch_needs_a_port_or_a_pid() {
    xtask()
        .arg("watch")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--port"));
}

/// `check --watch` grades the copy, waits, grades it again when a file of it is saved (as
/// `rustlings watch` does), and stops on q.
#[test]
fn check_watch_grades_again_after_a_save_and_stops_on_q() {
    let dir = std::env::temp_dir().join(format!("unp-lab-watch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (copies, target) = (dir.join("exercises"), dir.join("target"));
    let env = [
        ("UNP_LAB_EXERCISES_DIR", copies.to_str().expect("utf-8")),
        ("UNP_LAB_EXERCISES_TARGET", target.to_str().expect("utf-8")),
        ("NO_COLOR", "1"),
    ];
    let made = StdCommand::new(bin("xtask"))
        .args(["exercise", "ch5-fork-server"])
        .envs(env)
        .output()
        .expect("exercise");
    assert!(made.status.success(), "{made:?}");
    let mut term = OnTerminal::start_env(&["check", "ch5-fork-server", "--watch"], &env);
    // The first check builds the copy: its own target, its dependencies too.
    term.expect_within("save a file to check again", 1, Duration::from_secs(300));
    assert_eq!(
        term.seen
            .matches("── checking exercises/ch5-fork-server")
            .count(),
        1
    );
    // A save: the file written again, as an editor does.
    let file = copies.join("ch5-fork-server/src/bin/tcpserv01.rs");
    let text = std::fs::read_to_string(&file).expect("the copy's program");
    std::fs::write(&file, text).expect("save it");
    term.expect_times("── checking exercises/ch5-fork-server", 2);
    term.expect_within("save a file to check again", 2, Duration::from_secs(120));
    term.type_keys("q");
    let status = term.wait();
    assert_eq!(status.code(), Some(1), "the tasks are open: {}", term.seen);
    let _ = std::fs::remove_dir_all(&dir);
}

/// At a projector (100×30), `--step` pages a long step: between a step's header and the next
/// time the screen waits for a key (its prompt, or `-- more --`), no more lines pass than fit,
/// so the narration never scrolls off before anyone read it.
#[test]
fn a_step_at_a_projector_fits_the_screen_before_each_key() {
    let env = [("NO_COLOR", "1"), ("LINES", "30"), ("COLUMNS", "100")];
    let mut term = OnTerminal::start_env(&["run", "ch5-sigchld", "--step"], &env);
    let waits = ["[Enter: run this step", "-- more: press a key --"];
    let mut keys = 0;
    while !term.seen.contains("checks held") {
        let asked = |seen: &str| waits.iter().map(|w| seen.matches(w).count()).sum::<usize>();
        let before = asked(&term.seen);
        term.expect_any(&["checks held", waits[0], waits[1]], before);
        if asked(&term.seen) > before {
            term.type_keys(" ");
            keys += 1;
        }
        assert!(keys < 200, "more keys than the lesson has steps and pages");
    }
    assert!(term.wait().success(), "{}", term.seen);
    // From each step's header to its first page break (or the next step), the narration
    // stays on the 30 rows: the screen waited for a key before it could scroll off.
    let seen = &term.seen;
    for (at, _) in seen.match_indices("── Step") {
        let rest = &seen[at + "── Step".len()..];
        let end = [rest.find(waits[1]), rest.find("── Step")]
            .into_iter()
            .flatten()
            .min();
        let stretch = &rest[..end.unwrap_or(rest.len())];
        let rows = stretch.lines().count();
        assert!(rows <= 30, "{rows} lines passed before a key:\n{stretch}");
    }
    assert!(term.seen.contains(waits[1]), "a long step was paged");
}
