//! ch5-abort, tested directly: tcpcli_abort's RST reaches a server that has not yet called
//! accept (UNP §5.11). Its client contracts are tested with the others in programs.rs.

mod common;

use std::time::Duration;

use assert_cmd::Command;
use common::{Server, bin, tcp_sockets, wait_for};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

fn tcpcli_abort() -> Command {
    let mut c = Command::new(bin("tcpcli_abort"));
    c.timeout(Duration::from_secs(10));
    c
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
