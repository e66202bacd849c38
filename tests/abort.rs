//! ch5-abort, tested directly: tcpcli_abort keeps the client contracts, and its RST reaches a
//! server that has not yet called accept (UNP §5.11).

mod common;

use std::time::Duration;

use assert_cmd::Command;
use common::{Server, bin, closed_port, tcp_sockets, wait_for};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;
use predicates::prelude::*;

fn tcpcli_abort() -> Command {
    let mut c = Command::new(bin("tcpcli_abort"));
    c.timeout(Duration::from_secs(10));
    c
}

#[test]
fn bad_arguments_print_usage_and_exit_2() {
    for args in [&[][..], &["127.0.0.1", "--port"], &["127.0.0.1", "extra"]] {
        tcpcli_abort()
            .args(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                predicate::str::contains("Usage:").and(predicate::str::contains("panicked").not()),
            );
    }
}

#[test]
fn a_bad_address_is_an_inet_pton_error() {
    tcpcli_abort()
        .arg("::1")
        .assert()
        .code(1)
        .stdout("")
        .stderr("inet_pton error for ::1\n");
}

#[test]
fn a_refused_connection_is_a_connect_error() {
    tcpcli_abort()
        .args(["127.0.0.1", "--port", &closed_port().to_string()])
        .assert()
        .code(1)
        .stdout("")
        .stderr("connect error: Connection refused\n");
}

/// The book's §5.11 on Linux: the aborted connection stays in the accept queue, accept returns
/// it, and the server child's first read fails with ECONNRESET.
#[test]
fn an_aborted_connection_is_accepted_and_its_first_read_is_reset() {
    let mut s = Server::start("tcpserv04", &[]);
    let serv = Pid::from_raw(s.pid());
    kill(serv, Signal::SIGSTOP).expect("stop the server");
    // What is typed is discarded; EOF on standard input is the signal to abort.
    tcpcli_abort()
        .args(["127.0.0.1", "--port", &s.port.to_string()])
        .write_stdin("ignored\n")
        .assert()
        .success()
        .stdout("")
        .stderr("");
    // The RST went out instead of a FIN: no TIME_WAIT on the client's end, no connection left
    // in the socket tables, but one still queued on the listening socket.
    wait_for("the reset connection to leave the tables", || {
        tcp_sockets(s.port, "ESTABLISHED").is_empty()
    });
    assert!(tcp_sockets(s.port, "TIME_WAIT").is_empty());
    assert_eq!(
        tcp_sockets(s.port, "LISTEN"),
        vec![1],
        "one connection queued for accept"
    );

    kill(serv, Signal::SIGCONT).expect("continue the server");
    let line = s.line();
    assert!(
        line.starts_with("child ") && line.ends_with(" terminated\n"),
        "{line:?}"
    );
    assert_eq!(tcp_sockets(s.port, "LISTEN"), vec![0], "accept took it");
    killpg(serv, Signal::SIGKILL).expect("end the server");
    assert_eq!(
        s.stderr(),
        "str_echo: read error: Connection reset by peer\n"
    );
}
