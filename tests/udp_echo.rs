//! ch8-udp-echo, tested directly: udpcli01 and udpserv01 echo any bytes; what a datagram
//! bigger than the server's buffer becomes; udpcli02 ignores a stray reply; a connected
//! udpcli04 hears ECONNREFUSED; a timeout ends the wait; udpserv06 counts what it read.

mod common;

use std::io::Write;
use std::net::UdpSocket;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::{LIMIT, Server, cmd, output_within, sockdiag, state, wait_for};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The book's MAXLINE: the buffer dg_echo and dg_cli read into.
const MAXLINE: usize = 4096;

/// Run `client 127.0.0.1 --port PORT EXTRA...` with `input` on its standard input, to its end.
fn run_client(client: &str, port: u16, extra: &[&str], input: &[u8]) -> Output {
    let mut child = cmd(client)
        .args(["127.0.0.1", "--port", &port.to_string()])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client starts");
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    // A thread writes, so that a client that stops reading cannot block the test.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = output_within(child, client);
    writer.join().expect("the writer ends");
    out
}

/// A UDP port on 127.0.0.1 with no socket on it (bound, then released).
fn closed_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind port 0");
    s.local_addr().expect("local_addr").port()
}

/// Lines as dg_cli sends them, and bytes a C client's strlen would cut: NULs, every byte
/// value, no newline at the end.
fn awkward_input() -> Vec<u8> {
    let mut input = b"hello\n\nline with a NUL \0 inside\n".to_vec();
    input.extend((0..=255u8).filter(|&b| b != b'\n'));
    input.extend(b"\nlast line without a newline");
    input
}

#[test]
fn udpcli01_gets_a_byte_exact_echo_from_udpserv01() {
    let s = Server::start("udpserv01", &[]);
    let input = awkward_input();
    let out = run_client("udpcli01", s.port, &[], &input);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, input);
}

#[test]
fn an_overlong_line_goes_as_maxline_datagrams_and_comes_back_whole() {
    let s = Server::start("udpserv01", &[]);
    // 10,000 bytes and a newline: dg_cli's readline hands it out as 4096 + 4096 + 1809 bytes,
    // three datagrams, each within the server's buffer, so all of it comes back in order.
    let mut input: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    input.push(b'\n');
    let out = run_client("udpcli01", s.port, &[], &input);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, input);
}

#[test]
fn a_datagram_bigger_than_dg_echos_buffer_comes_back_cut_to_maxline() {
    let s = Server::start("udpserv01", &[]);
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(LIMIT)).expect("timeout");
    let big: Vec<u8> = (0..6000u32).map(|i| (i % 251) as u8).collect();
    sock.send_to(&big, ("127.0.0.1", s.port)).expect("send");
    let mut buf = vec![0u8; 70_000];
    let (n, from) = sock.recv_from(&mut buf).expect("the echo comes");
    // recvfrom into a MAXLINE buffer takes the first MAXLINE bytes; the kernel discards the
    // rest of the datagram, and the server, not asking with MSG_TRUNC, is not told.
    assert_eq!(from.port(), s.port);
    assert_eq!(&buf[..n], &big[..MAXLINE]);
    // The server goes on serving.
    sock.send_to(b"still there?\n", ("127.0.0.1", s.port))
        .expect("send");
    let (n, _) = sock.recv_from(&mut buf).expect("the echo comes");
    assert_eq!(&buf[..n], b"still there?\n");
}

#[test]
fn udpcli01_takes_a_stray_datagram_as_the_echo_and_udpcli02_ignores_it() {
    let s = Server::start("udpserv_stray", &[]);
    let out = run_client("udpcli01", s.port, &[], b"one\ntwo\n");
    assert!(out.status.success(), "{out:?}");
    // The stray datagram comes first: it is printed as the reply to "one", and "one" as the
    // reply to "two".
    assert_eq!(out.stdout, b"not from the server\none\n");

    let out = run_client("udpcli02", s.port, &[], b"one\ntwo\n");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    for (i, echo) in [(0, "one"), (2, "two")] {
        assert!(
            lines[i].starts_with("reply from 127.0.0.1:") && lines[i].ends_with(" (ignored)"),
            "{text}"
        );
        assert!(!lines[i].contains(&format!(":{} ", s.port)), "{text}");
        assert_eq!(lines[i + 1], echo, "{text}");
    }
}

#[test]
fn connected_udpcli04_reads_econnrefused_when_no_server_runs() {
    let out = run_client("udpcli04", closed_udp_port(), &[], b"hello?\n");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "read error: Connection refused\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn connected_udpcli04_echoes_like_udpcli01() {
    let s = Server::start("udpserv01", &[]);
    let input = awkward_input();
    let out = run_client("udpcli04", s.port, &[], &input);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, input);
}

#[test]
fn unconnected_udpcli01_is_not_told_and_its_timeout_ends_the_wait() {
    // No server: the ICMP port unreachable comes back (on loopback too), but an unconnected
    // socket is not told; only SO_RCVTIMEO ends each wait.
    let out = run_client(
        "udpcli01",
        closed_udp_port(),
        &["--timeout", "1"],
        b"a\nb\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "socket timeout\nsocket timeout\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn udpserv06_counts_what_it_read_and_says_so_at_sigint() {
    let mut s = Server::start("udpserv06", &["--rcvbuf", "65536"]);
    // Linux doubles what was asked (here below net.core.rmem_max on any machine).
    assert_eq!(s.line().trim(), "SO_RCVBUF is 131072 bytes");
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    for _ in 0..10 {
        sock.send_to(&[0u8; 1400], ("127.0.0.1", s.port))
            .expect("send");
    }
    // Read all: its receive queue is empty and it sleeps in recvfrom again.
    let port = s.port;
    let queued = || {
        sockdiag::dump(libc::AF_INET, libc::IPPROTO_UDP)
            .expect("a sock_diag dump")
            .into_iter()
            .find(|u| u.local.port() == port)
            .map(|u| u.recv_q)
    };
    let pid = s.pid();
    wait_for("udpserv06 to read every datagram", || {
        queued() == Some(0) && state(pid) == Some('S')
    });
    kill(Pid::from_raw(pid), Signal::SIGINT).expect("kill");
    assert_eq!(s.line().trim(), "received 10 datagrams");
    let status = common::ended(&mut s.child, "udpserv06");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn udpcli06_sends_2000_datagrams_and_ends() {
    let server = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = server.local_addr().expect("addr").port();
    let out = run_client("udpcli06", port, &[], b"");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "sent 2000 datagrams of 1400 bytes\n"
    );
    // The first one, at least, is here: 1400 bytes, as the book's DGLEN.
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = [0u8; 2000];
    assert_eq!(server.recv(&mut buf).expect("a datagram"), 1400);
}

#[test]
fn bad_arguments_print_usage_and_exit_2() {
    for (name, args) in [
        ("udpserv01", &["--port", "notaport"][..]),
        ("udpserv06", &["--rcvbuf", "lots"]),
        ("udpserv_stray", &["--bind", "localhost"]),
        ("udpcli01", &["127.0.0.1", "--timeout", "0"]),
        ("udpcli02", &["127.0.0.1", "extra"]),
        ("udpcli04", &["--port", "1"]),
        ("udpcli06", &[]),
    ] {
        let out = output_within(
            cmd(name)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("starts"),
            name,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {err}");
        assert!(err.contains("Usage:"), "{name} {args:?}: {err}");
    }
}

#[test]
fn clients_given_a_bad_address_say_inet_pton_error_and_exit_1() {
    for name in ["udpcli01", "udpcli02", "udpcli04", "udpcli06"] {
        let out = output_within(
            cmd(name)
                .arg("999.0.0.1")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("starts"),
            name,
        );
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            "inet_pton error for 999.0.0.1\n"
        );
    }
}
