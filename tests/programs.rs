//! Each program's contract, tested directly (without the runner): the `listening on` line,
//! byte-exact echoes, usage errors (exit 2), failed calls (`<call> error: <strerror>`, exit 1),
//! and the behaviour each lesson is about, read from /proc.

mod common;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use common::{
    LIMIT, Server, bin, children, closed_port, cmd, echo_all, ended, lines_of, listeners,
    next_line, output_within, state, wait_for, wait_within, zombies,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use predicates::prelude::*;

/// Every TCP echo client that echoes all its input back (tcpcli_select01 loses what is in flight
/// at EOF, by design; tcpcli11 pauses a second per line, and is tested in tests/sigpipe.rs).
const CLIENTS: [&str; 4] = ["tcpcli01", "tcpcli04", "tcpcli_select02", "tcpcli_poll01"];

fn client(name: &str, port: u16) -> Command {
    let mut c = Command::new(bin(name));
    c.args(["127.0.0.1", "--port", &port.to_string()])
        .timeout(Duration::from_secs(20));
    c
}

#[test]
fn servers_print_the_real_address_and_port_first() {
    for name in common::SERVERS {
        let server = Server::start(name, &[]);
        assert_ne!(
            server.port, 0,
            "{name} reports the port the kernel chose, not 0"
        );
        assert_eq!(
            listeners(server.port),
            1,
            "{name} listens on the port it printed"
        );
    }
}

#[test]
fn servers_bind_the_wildcard_address_by_default() {
    let mut child = cmd("tcpserv04")
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start");
    let lines = lines_of(child.stdout.take().expect("piped"));
    let first = next_line(&lines, "tcpserv04's first line", LIMIT);
    let _ = child.kill();
    wait_within(&mut child, "tcpserv04 to die of SIGKILL", LIMIT);
    assert!(first.starts_with("listening on 0.0.0.0:"), "{first:?}");
}

/// Input that exercises framing: a plain line, binary bytes with NUL, a line longer than
/// MAXLINE, and a last line with no newline.
fn awkward_input() -> Vec<u8> {
    let mut input = b"hello, world\n".to_vec();
    input.extend((0..=255u8).filter(|&b| b != b'\n'));
    input.extend(b"\n\0\0\0\n");
    input.extend(std::iter::repeat_n(b'x', 10_000));
    input.extend(b"\nno newline at the end");
    input
}

#[test]
fn every_client_gets_a_byte_exact_echo_from_every_server() {
    let input = awkward_input();
    for server in common::SERVERS {
        let s = Server::start(server, &[]);
        for name in CLIENTS {
            let out = client(name, s.port)
                .write_stdin(input.clone())
                .output()
                .expect("run");
            assert!(out.status.success(), "{name} against {server}: {out:?}");
            assert!(
                out.stdout == input,
                "{name} against {server}: the echo differs from the input"
            );
        }
    }
}

#[test]
fn servers_echo_everything_a_half_closing_client_sent() {
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
    for name in common::SERVERS {
        let s = Server::start(name, &[]);
        let echoed = echo_all(s.port, &data);
        assert!(
            echoed == data,
            "{name}: {} bytes back of {}",
            echoed.len(),
            data.len()
        );
    }
}

#[test]
fn bad_arguments_print_usage_and_exit_2() {
    let cases: &[(&str, &[&str])] = &[
        ("tcpserv01", &["--port", "notaport"]),
        ("tcpserv02", &["--port", "70000"]),
        ("tcpserv03", &["--bind", "localhost"]),
        ("tcpserv04", &["--frobnicate"]),
        ("tcpserv02", &["--backlog", "-1"]),
        ("tcpcli01", &[]),
        ("tcpcli04", &["127.0.0.1", "--port"]),
        ("zombie", &["SIGNOTHING"]),
        ("zombie", &["256"]),
        ("iterserv", &["--backlog", "lots"]),
        ("tcpcli11", &[]),
        ("tcpcli_select01", &["127.0.0.1", "extra"]),
        ("tcpcli_select02", &["127.0.0.1", "--port", "65536"]),
        ("tcpcli_poll01", &["--port", "1"]),
        ("chatserv", &["--port", "-1"]),
        ("chatcli", &[]),
        ("tcpcli_abort", &[]),
        ("tcpcli_abort", &["127.0.0.1", "--port"]),
        ("tcpcli_abort", &["127.0.0.1", "extra"]),
        ("tcpservselect01", &["--port", "x"]),
        ("tcpservselect02", &["--bind", "::1"]),
        ("tcpservpoll01", &["--backlog"]),
        ("tcpcli_dos", &[]),
        ("tcpcli_dos", &["127.0.0.1", "--flood=yes"]),
    ];
    for (name, args) in cases {
        Command::new(bin(name))
            .args(*args)
            .timeout(Duration::from_secs(10))
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                predicate::str::contains("Usage:").and(predicate::str::contains("panicked").not()),
            );
    }
}

/// The book's clients convert their argument with inet_pton, whose wrapper ends the program
/// with `inet_pton error for ADDR` (err_quit, exit 1): the usage was right, the address not.
#[test]
fn clients_given_a_bad_address_say_inet_pton_error_and_exit_1() {
    let clients = CLIENTS.iter().chain(&[
        "tcpcli11",
        "tcpcli_select01",
        "chatcli",
        "tcpcli_abort",
        "tcpcli_dos",
    ]);
    for name in clients {
        for addr in ["999.0.0.1", "::1", "localhost", "127.0.0"] {
            Command::new(bin(name))
                .arg(addr)
                .timeout(Duration::from_secs(10))
                .assert()
                .code(1)
                .stdout("")
                .stderr(format!("inet_pton error for {addr}\n"));
        }
    }
}

#[test]
fn clients_report_a_refused_connection_and_exit_1() {
    let port = closed_port();
    for name in CLIENTS
        .iter()
        .chain(&["tcpcli11", "tcpcli_select01", "tcpcli_abort", "tcpcli_dos"])
    {
        client(name, port)
            .write_stdin("hello\n")
            .assert()
            .code(1)
            .stdout("")
            .stderr("connect error: Connection refused\n");
    }
}

#[test]
fn a_second_server_on_a_port_in_use_reports_bind_error() {
    let first = Server::start("tcpserv04", &[]);
    for name in common::SERVERS {
        Command::new(bin(name))
            .args(["--bind", "127.0.0.1", "--port", &first.port.to_string()])
            .timeout(Duration::from_secs(10))
            .assert()
            .code(1)
            .stderr("bind error: Address already in use\n");
    }
}

/// A Rust program starts with SIGPIPE ignored and SIGSEGV caught (for stack overflows), and a
/// child inherits both: zombie gives each signal its default action back before raising it, so
/// that the children die of these signals as the book's C children would.
#[test]
fn zombie_children_die_of_the_signals_rust_ignores_or_catches() {
    Command::new(bin("zombie"))
        .args(["SIGPIPE", "SIGSEGV"])
        .write_stdin("\n\n")
        .timeout(LIMIT)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "WIFSIGNALED, WTERMSIG = 13 (SIGPIPE)",
        ))
        .stdout(predicate::str::contains(
            "WIFSIGNALED, WTERMSIG = 11 (SIGSEGV)",
        ));
}

#[test]
fn tcpserv01_leaves_a_zombie_per_client() {
    let s = Server::start("tcpserv01", &[]);
    for n in 1..=3 {
        client("tcpcli01", s.port)
            .write_stdin("hi\n")
            .assert()
            .success()
            .stdout("hi\n");
        wait_for("a zombie per finished client", || zombies(s.pid()) == n);
    }
}

/// Five tcpcli04 runs against a stopped server: each leaves five children that exit while the
/// server cannot take the signal, so one SIGCHLD is pending when it continues.
fn five_rounds_of_tcpcli04(server: &str) -> (Server, usize) {
    let mut s = Server::start(server, &[]);
    for round in 0..5 {
        let mut cli = cmd("tcpcli04")
            .args(["127.0.0.1", "--port", &s.port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("tcpcli04 starts");
        let echoes = lines_of(cli.stdout.take().expect("piped"));
        cli.stdin
            .as_mut()
            .expect("piped")
            .write_all(b"round\n")
            .expect("type");
        assert_eq!(next_line(&echoes, "tcpcli04's echo", LIMIT), "round\n");
        let zombies_before = zombies(s.pid());
        wait_for("five running children", || {
            children(s.pid()).iter().filter(|p| p.state != 'Z').count() == 5
        });
        wait_for("the server back in accept", || state(s.pid()) == Some('S'));
        kill(Pid::from_raw(s.pid()), Signal::SIGSTOP).expect("SIGSTOP");
        wait_for("the server stopped", || state(s.pid()) == Some('T'));
        drop(cli.stdin.take()); // EOF: the client exits and closes its five sockets
        assert!(ended(&mut cli, "tcpcli04 to exit at EOF").success());
        wait_for("five more zombies", || {
            zombies(s.pid()) == zombies_before + 5
        });
        kill(Pid::from_raw(s.pid()), Signal::SIGCONT).expect("SIGCONT");
        // The handler prints one line per child it reaps.
        let reaped = if server == "tcpserv02" { 1 } else { 5 };
        for _ in 0..reaped {
            assert!(s.line().contains(" terminated"), "round {round}");
        }
        wait_for("the server back in accept", || state(s.pid()) == Some('S'));
    }
    let z = zombies(s.pid());
    (s, z)
}

#[test]
fn tcpserv02_with_tcpcli04_leaves_four_zombies_a_round() {
    let (_s, z) = five_rounds_of_tcpcli04("tcpserv02");
    assert_eq!(z, 20, "wait in the handler reaps one child per SIGCHLD");
}

#[test]
fn tcpserv04_with_tcpcli04_leaves_no_zombie() {
    let (_s, z) = five_rounds_of_tcpcli04("tcpserv04");
    assert_eq!(z, 0, "the waitpid loop reaps every child");
}

/// One client comes and goes; returns the server after its child has ended.
fn one_client(s: &Server) {
    client("tcpcli01", s.port)
        .write_stdin("x\n")
        .assert()
        .success()
        .stdout("x\n");
}

#[test]
fn without_sa_restart_tcpserv02_aborts_on_eintr() {
    let mut s = Server::start("tcpserv02", &["--no-restart"]);
    wait_for("the server in accept", || state(s.pid()) == Some('S'));
    one_client(&s);
    let status = ended(&mut s.child, "tcpserv02 to abort on EINTR");
    assert_eq!(status.code(), Some(1));
    assert!(s.line().starts_with("child "), "the handler ran first");
    assert_eq!(s.stderr(), "accept error: Interrupted system call\n");
}

#[test]
fn without_sa_restart_tcpserv03_and_04_go_back_to_accept() {
    for name in ["tcpserv03", "tcpserv04"] {
        let mut s = Server::start(name, &["--no-restart"]);
        for _ in 0..3 {
            wait_for("the server in accept", || state(s.pid()) == Some('S'));
            one_client(&s);
            assert!(s.line().ends_with(" terminated\n"));
        }
        assert_eq!(
            s.child.try_wait().expect("try_wait"),
            None,
            "{name} is still running"
        );
        assert_eq!(zombies(s.pid()), 0);
    }
}

#[test]
fn with_sa_restart_tcpserv02_survives_its_children() {
    let mut s = Server::start("tcpserv02", &[]);
    for _ in 0..3 {
        one_client(&s);
        assert!(s.line().ends_with(" terminated\n"));
    }
    assert_eq!(s.child.try_wait().expect("try_wait"), None);
}

#[test]
fn zombie_shows_zombies_then_reaps_and_decodes_them() {
    let mut z = cmd("zombie")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("zombie starts");
    let pid = z.id() as i32;
    wait_for("four zombies", || zombies(pid) == 4);
    let mut stdin = z.stdin.take().expect("piped");
    stdin.write_all(b"\n").expect("Enter");
    wait_for("no zombie", || children(pid).is_empty());
    drop(stdin); // EOF ends it
    let out = output_within(z, "zombie to exit at EOF");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    for want in [
        "status 0x0000: WIFEXITED, WEXITSTATUS = 0",
        "status 0x0100: WIFEXITED, WEXITSTATUS = 1",
        "status 0x2a00: WIFEXITED, WEXITSTATUS = 42",
        "status 0x000f: WIFSIGNALED, WTERMSIG = 15 (SIGTERM), WCOREDUMP = no",
    ] {
        assert_eq!(text.matches(want).count(), 1, "{want:?} in {text}");
    }
}

#[test]
fn zombie_takes_the_endings_from_its_arguments() {
    let out = Command::new(bin("zombie"))
        .args(["7", "SIGKILL"])
        .write_stdin("\n\n")
        .timeout(Duration::from_secs(10))
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert!(text.contains("WEXITSTATUS = 7"), "{text}");
    assert!(text.contains("WTERMSIG = 9 (SIGKILL)"), "{text}");
    assert_eq!(text.matches("wait: child").count(), 2);
}

/// The signals whose default action does not end a process: zombie refuses them.
const NOT_ENDINGS: [Signal; 8] = [
    Signal::SIGSTOP,
    Signal::SIGTSTP,
    Signal::SIGTTIN,
    Signal::SIGTTOU,
    Signal::SIGCONT,
    Signal::SIGCHLD,
    Signal::SIGURG,
    Signal::SIGWINCH,
];

/// Every other signal really ends its child, whatever dispositions and mask the parent had:
/// Rust ignores SIGPIPE and catches SIGSEGV and SIGBUS, and the child must not inherit that.
#[test]
fn zombie_children_die_by_every_signal_that_ends_a_process() {
    let endings: Vec<Signal> = Signal::iterator()
        .filter(|s| !NOT_ENDINGS.contains(s))
        .collect();
    let names: Vec<&str> = endings.iter().map(|s| s.as_str()).collect();
    let mut zombie = cmd("zombie");
    zombie.args(&names);
    // SAFETY: setrlimit is async-signal-safe, and the closure touches nothing else.
    unsafe {
        zombie.pre_exec(|| {
            // No core files from SIGSEGV, SIGQUIT, ...: a test leaves nothing behind.
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::setrlimit(libc::RLIMIT_CORE, &none) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut z = zombie
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zombie starts");
    drop(z.stdin.take()); // EOF: reap at once, then exit
    let out = output_within(z, "zombie to reap its children and exit");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no child survived"
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    for sig in endings {
        let want = format!("WIFSIGNALED, WTERMSIG = {} ({sig}),", sig as i32);
        assert_eq!(text.matches(&want).count(), 1, "{want:?} in {text}");
    }
    assert!(!text.contains("WIFEXITED"), "{text}");
}

/// A stopped child is not a zombie, and `wait` would block on it forever: zombie refuses the
/// signals that stop, continue or are ignored, with a usage error, and never hangs.
#[test]
fn zombie_refuses_signals_that_do_not_end_a_process() {
    for sig in NOT_ENDINGS {
        // In a process group of its own: if it ever forked a child that stopped, the timeout
        // kills that child too, and the test fails instead of hanging on the child's pipe.
        let mut z = cmd("zombie")
            .arg(sig.as_str())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("zombie starts");
        drop(z.stdin.take());
        let out = output_within(z, &format!("zombie {sig} to refuse it"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sig}: {out:?}");
        assert!(out.stdout.is_empty(), "{sig}: {out:?}");
        assert!(
            stderr.contains(sig.as_str()) && stderr.contains("does not end"),
            "{sig}: {stderr}"
        );
    }
}
