//! ch5-sigpipe, tested directly: a client writing to a server whose child was killed.

mod common;

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};

use common::{Server, cmd, only_child, output_within, tcp_sockets, wait_for};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Start `client` against a fresh tcpserv04, echo one line, then kill the server's child and
/// wait until the client's end of the connection is in CLOSE_WAIT.
fn client_of_a_dead_child(client: &str) -> (Server, Child) {
    let s = Server::start("tcpserv04", &[]);
    let mut cli = cmd(client)
        .args(["127.0.0.1", "--port", &s.port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client starts");
    cli.stdin
        .as_mut()
        .expect("piped")
        .write_all(b"hi there\n")
        .expect("type");
    let mut echo = [0u8; 9];
    let out = cli.stdout.as_mut().expect("piped");
    common::read_exact_within(out, &mut echo, "the echo");
    assert_eq!(&echo, b"hi there\n");
    let child = only_child(s.pid());
    kill(Pid::from_raw(child), Signal::SIGKILL).expect("kill the server's child");
    wait_for("CLOSE_WAIT on the client's end", || {
        tcp_sockets(s.port, "CLOSE_WAIT").len() == 1
    });
    (s, cli)
}

#[test]
fn tcpcli11_is_killed_by_sigpipe() {
    let (_s, mut cli) = client_of_a_dead_child("tcpcli11");
    cli.stdin
        .as_mut()
        .expect("piped")
        .write_all(b"bye\n")
        .expect("type");
    let out = output_within(cli, "tcpcli11 to be killed by SIGPIPE");
    assert_eq!(out.status.signal(), Some(Signal::SIGPIPE as i32), "{out:?}");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
}

#[test]
fn tcpcli01_reads_eof_and_says_the_server_terminated_prematurely() {
    let (_s, mut cli) = client_of_a_dead_child("tcpcli01");
    cli.stdin
        .as_mut()
        .expect("piped")
        .write_all(b"another line\n")
        .expect("type");
    let out = output_within(cli, "tcpcli01 to exit after EOF on the socket");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "str_cli: server terminated prematurely\n"
    );
}
