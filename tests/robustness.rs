//! Every server under faults, bad input and load: nothing sent is lost or altered, the parent
//! survives, its children exit, the waitpid server ends with no zombie, and the parent holds the
//! same descriptors after as before. Every client reports a server that resets it.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::time::Instant;

use common::{Server, bin, children, echo_all, ended, state, wait_for, zombies};
use nix::sys::socket::{setsockopt, sockopt};

/// How many descriptors the process has open.
fn fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Close with SO_LINGER 0: the kernel sends an RST instead of a FIN.
fn reset(sock: TcpStream) {
    let linger = nix::libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    setsockopt(&sock.as_fd(), sockopt::Linger, &linger).expect("SO_LINGER");
    drop(sock);
}

/// Wait until the server's children have all ended (and, but for tcpserv01, been reaped).
fn settle(name: &str, s: &Server) {
    wait_for("no running child", || {
        children(s.pid()).iter().all(|c| c.state == 'Z')
    });
    if name != "tcpserv01" {
        wait_for("no zombie", || zombies(s.pid()) == 0);
    }
    wait_for("the parent back in accept", || state(s.pid()) == Some('S'));
}

#[test]
fn servers_survive_resets_idle_clients_and_odd_input_and_leak_nothing() {
    for name in common::SERVERS {
        let mut s = Server::start(name, &[]);
        wait_for("the parent in accept", || state(s.pid()) == Some('S'));
        let before = fds(s.pid());

        // A client that resets mid-line: the server's read fails with ECONNRESET.
        let mut sock = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
        sock.set_read_timeout(Some(common::LIMIT))
            .expect("a read timeout");
        sock.write_all(b"half a li").expect("write");
        let mut back = [0u8; 9];
        sock.read_exact(&mut back)
            .expect("the bytes so far come back");
        assert_eq!(&back, b"half a li");
        reset(sock);
        settle(name, &s);

        // A client that connects and sends nothing.
        drop(TcpStream::connect(("127.0.0.1", s.port)).expect("connect"));
        settle(name, &s);

        // 1 MiB with no newline, and bytes of every value.
        let blob: Vec<u8> = (0..1 << 20)
            .map(|i: u32| if i % 3 == 0 { b'x' } else { (i % 251) as u8 })
            .collect();
        let blob: Vec<u8> = blob
            .into_iter()
            .map(|b| if b == b'\n' { 0 } else { b })
            .collect();
        assert!(
            echo_all(s.port, &blob) == blob,
            "{name}: 1 MiB without a newline"
        );
        settle(name, &s);

        assert_eq!(
            s.child.try_wait().expect("try_wait"),
            None,
            "{name} survived"
        );
        assert_eq!(echo_all(s.port, b"still here\n"), b"still here\n");
        settle(name, &s);
        assert_eq!(
            fds(s.pid()),
            before,
            "{name}: the parent's descriptors are as before"
        );
    }
}

#[test]
fn five_hundred_concurrent_clients_get_byte_exact_echoes() {
    for name in ["tcpserv04", "iterserv", "tcpservselect01", "tcpservpoll01"] {
        let s = Server::start(name, &[]);
        wait_for("the parent in accept", || state(s.pid()) == Some('S'));
        let before = fds(s.pid());
        let started = Instant::now();
        let port = s.port;
        let clients: Vec<_> = (0..500u32)
            .map(|i| {
                std::thread::spawn(move || {
                    let data: Vec<u8> = (0..4096u32)
                        .map(|k| ((i * 31 + k * 7) % 256) as u8)
                        .collect();
                    echo_all(port, &data) == data
                })
            })
            .collect();
        let exact = clients
            .into_iter()
            .map(|c| c.join())
            .filter(|r| matches!(r, Ok(true)))
            .count();
        let secs = started.elapsed().as_secs_f64();
        settle(name, &s);
        let (z, d) = (zombies(s.pid()), fds(s.pid()));
        eprintln!(
            "load {name}: 500 clients x 4096 bytes, {exact} exact echoes, {secs:.2} s, \
             {z} zombies, descriptors {before} before and {d} after"
        );
        assert_eq!(exact, 500, "{name}");
        assert_eq!(z, 0, "{name}");
        assert_eq!(d, before, "{name}");
    }
}

#[test]
fn clients_report_a_server_that_resets_them_and_exit_1() {
    // tcpcli11 is left out: dying of SIGPIPE after a reset is its lesson (tests/sigpipe.rs).
    for name in [
        "tcpcli01",
        "tcpcli04",
        "tcpcli_select01",
        "tcpcli_select02",
        "tcpcli_poll01",
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = std::thread::spawn(move || {
            let (mut sock, _) = listener.accept().expect("accept");
            sock.set_read_timeout(Some(common::LIMIT))
                .expect("a read timeout");
            let mut buf = [0u8; 6];
            sock.read_exact(&mut buf).expect("the client's line");
            reset(sock); // answer with an RST
        });
        // Standard input stays open, as at a terminal: only the reset can end the client.
        let mut cli = std::process::Command::new(bin(name))
            .args(["127.0.0.1", "--port", &port.to_string()])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start");
        let mut stdin = cli.stdin.take().expect("piped");
        stdin.write_all(b"hello\n").expect("type");
        let status = ended(&mut cli, &format!("{name} to notice"));
        drop(stdin);
        let mut stderr = String::new();
        cli.stderr
            .take()
            .expect("piped")
            .read_to_string(&mut stderr)
            .expect("stderr");
        server.join().expect("server thread");
        assert_eq!(status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains("Connection reset by peer"),
            "{name}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
    }
}
