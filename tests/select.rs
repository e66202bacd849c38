//! ch6-select-client, tested directly: select and poll clients.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use common::{Server, children, cmd, ended, only_child, output_within, tcp_sockets, wait_for};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

#[test]
fn select_clients_notice_a_dead_server_without_input() {
    for name in ["tcpcli_select01", "tcpcli_select02", "tcpcli_poll01"] {
        let s = Server::start("tcpserv04", &[]);
        // Standard input stays open and silent: only the socket can wake the client.
        let mut cli = cmd(name)
            .args(["127.0.0.1", "--port", &s.port.to_string()])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start");
        let child = only_child(s.pid());
        kill(Pid::from_raw(child), Signal::SIGKILL).expect("kill the child");
        let out = ended(&mut cli, &format!("{name} to notice"));
        assert_eq!(out.code(), Some(1), "{name}");
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut cli.stderr.take().expect("piped"), &mut stderr)
            .expect("stderr");
        assert_eq!(stderr, "str_cli: server terminated prematurely\n", "{name}");
    }
}

/// Pipe `lines` into `name` while the server's child is stopped, end the input, continue the
/// child, and return what the client printed.
fn batch_with_a_stopped_server(name: &str, lines: usize) -> Vec<u8> {
    let s = Server::start("tcpserv04", &[]);
    let mut cli = cmd(name)
        .args(["127.0.0.1", "--port", &s.port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start");
    let child = only_child(s.pid());
    kill(Pid::from_raw(child), Signal::SIGSTOP).expect("SIGSTOP");
    wait_for("the child stopped", || {
        children(s.pid()).iter().any(|p| p.state == 'T')
    });
    let input: String = (1..=lines).map(|n| format!("line {n}\n")).collect();
    let mut stdin = cli.stdin.take().expect("piped");
    stdin.write_all(input.as_bytes()).expect("type");
    drop(stdin); // EOF
    if name == "tcpcli_select01" {
        // It returns at EOF: wait for that before the child may echo anything.
        let status = ended(&mut cli, "tcpcli_select01 to return at EOF");
        assert!(status.success());
    } else {
        // It half-closes and waits for the echoes: FIN_WAIT2 on its end.
        wait_for("the client's FIN", || {
            tcp_sockets(s.port, "FIN_WAIT2").len() == 1
        });
    }
    kill(Pid::from_raw(child), Signal::SIGCONT).expect("SIGCONT");
    let out = output_within(cli, &format!("{name} to end"));
    assert!(out.status.success(), "{name}: {out:?}");
    out.stdout
}

#[test]
fn shutdown_clients_get_every_line_of_a_batch_back_in_order() {
    // Small enough to wait in the socket buffers while the server's child is stopped.
    let expected: String = (1..=1000).map(|n| format!("line {n}\n")).collect();
    for name in ["tcpcli_select02", "tcpcli_poll01"] {
        let out = batch_with_a_stopped_server(name, 1000);
        assert!(
            out == expected.as_bytes(),
            "{name}: {} of {} bytes",
            out.len(),
            expected.len()
        );
    }
}

#[test]
fn shutdown_clients_echo_a_large_batch_byte_for_byte() {
    let input: String = (1..=100_000).map(|n| format!("line {n}\n")).collect();
    for name in ["tcpcli_select02", "tcpcli_poll01"] {
        let s = Server::start("tcpserv04", &[]);
        let out = assert_cmd::Command::new(common::bin(name))
            .args(["127.0.0.1", "--port", &s.port.to_string()])
            .write_stdin(input.clone())
            .timeout(Duration::from_secs(60))
            .output()
            .expect("run");
        assert!(out.status.success(), "{name}");
        assert!(
            out.stdout == input.as_bytes(),
            "{name}: {} bytes back",
            out.stdout.len()
        );
    }
}

#[test]
fn tcpcli_select01_loses_the_echoes_in_flight_at_eof() {
    let out = batch_with_a_stopped_server("tcpcli_select01", 1000);
    assert!(
        out.is_empty(),
        "nothing could come back before it exited: {out:?}"
    );
}
