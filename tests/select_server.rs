//! ch6-select-server and ch6-poll-server, tested directly: one process serves many clients at
//! once, byte-exact, and gives back every descriptor when they leave.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};

use common::{LIMIT, Server, children, cmd, wait_for};
use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// The book's MAXLINE, the most one read of the servers takes.
const MAXLINE: usize = 4096;

/// Descriptors the process has open, from /proc/PID/fd.
fn fds(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Threads of the process, from /proc/PID/task: one, for a one-process server.
fn threads(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Let this test process open `n` more sockets: raise its soft RLIMIT_NOFILE to the hard one.
fn room_for(n: u64) {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).expect("setrlimit");
    }
    assert!(
        hard >= n + 100,
        "RLIMIT_NOFILE's hard limit {hard} leaves no room for {n} clients in this test"
    );
}

/// What client `i` sends: its number, every byte value (NUL, CR, 0xff...), a line longer than
/// MAXLINE, and a last line without a newline.
fn data_of(i: usize) -> Vec<u8> {
    let mut d = format!("client {i}\n").into_bytes();
    d.extend(0..=255u8);
    d.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, MAXLINE + 1000));
    d.push(b'\n');
    d.extend(format!("no newline after client {i}").bytes());
    d
}

/// Connect `n` clients to the server at once (all held open), then each sends its data, then
/// each reads its echo back and compares it; then they all leave. Checks from /proc that the
/// server is one process with one thread holding every connection, and that it closes every
/// descriptor of theirs afterwards.
fn many_clients(s: &Server, n: usize) {
    let pid = s.pid();
    let before = fds(pid);
    let deadline = Instant::now() + LIMIT;
    let mut socks: Vec<TcpStream> = (0..n)
        .map(|_| TcpStream::connect(("127.0.0.1", s.port)).expect("connect"))
        .collect();
    wait_for(&format!("the server to accept all {n} clients"), || {
        fds(pid) == before + n
    });
    assert!(children(pid).is_empty(), "no child: one process serves all");
    assert_eq!(threads(pid), 1, "one thread serves all");

    // Each client's data fits in the socket buffers, so writing all before reading any
    // cannot deadlock the server's blocking writes.
    for (i, sock) in socks.iter_mut().enumerate() {
        sock.write_all(&data_of(i)).expect("write");
    }
    for (i, sock) in socks.iter_mut().enumerate() {
        let want = data_of(i);
        let mut got = vec![0u8; want.len()];
        let left = deadline.saturating_duration_since(Instant::now());
        sock.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .expect("timeout");
        sock.read_exact(&mut got)
            .unwrap_or_else(|e| panic!("client {i} of {n}: its echo: {e}"));
        assert!(
            got == want,
            "client {i}: the echo differs from what it sent"
        );
    }
    drop(socks); // every client leaves
    wait_for("the server to close every client's descriptor", || {
        fds(pid) == before
    });
}

#[test]
fn select_servers_echo_200_concurrent_clients_byte_exact_in_one_process() {
    room_for(200);
    for name in ["tcpservselect01", "tcpservselect02"] {
        let s = Server::start(name, &[]);
        many_clients(&s, 200);
        many_clients(&s, 200); // every entry of client[] freed is used again
    }
}

#[test]
fn tcpservpoll01_echoes_1000_concurrent_clients_byte_exact_in_one_process() {
    room_for(1000);
    // Start it with a soft limit of 512, below what 1000 clients need (many systems start
    // programs at 1024): it must raise the limit to the hard one, and size client[] from it.
    let mut command = cmd("tcpservpoll01");
    command.args(["--bind", "127.0.0.1", "--port", "0"]);
    // SAFETY: between fork and exec the child only calls setrlimit, async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
            setrlimit(Resource::RLIMIT_NOFILE, 512, hard)?;
            Ok(())
        });
    }
    let mut s = Server::spawn(command, "tcpservpoll01", LIMIT);
    let second = s.line();
    assert!(
        second.contains("RLIMIT_NOFILE 512, raised to"),
        "its second line says what it got: {second:?}"
    );
    many_clients(&s, 1000);
}

#[test]
fn a_reset_client_is_dropped_and_the_others_served() {
    for name in ["tcpservselect01", "tcpservselect02", "tcpservpoll01"] {
        let mut s = Server::start(name, &[]);
        if name == "tcpservpoll01" {
            s.line(); // what client[] holds
        }
        let before = fds(s.pid());
        let mut other = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
        // A client sends, then resets its connection: SO_LINGER with a zero timeout makes
        // close send RST (§7.5). The server's read gets ECONNRESET, or EOF if it was fast.
        let rude = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
        wait_for("both accepted", || fds(s.pid()) == before + 2);
        nix::sys::socket::setsockopt(
            &rude,
            nix::sys::socket::sockopt::Linger,
            &libc::linger {
                l_onoff: 1,
                l_linger: 0,
            },
        )
        .expect("SO_LINGER");
        (&rude).write_all(b"bye").expect("write");
        drop(rude);
        wait_for(&format!("{name} to close the reset client"), || {
            fds(s.pid()) == before + 1
        });
        other.set_read_timeout(Some(LIMIT)).expect("timeout");
        other.write_all(b"still here\n").expect("write");
        let mut back = [0u8; 11];
        other.read_exact(&mut back).expect("the echo");
        assert_eq!(&back, b"still here\n", "{name}");
        assert!(common::state(s.pid()).is_some(), "{name} still runs");
    }
}

#[test]
fn tcpservselect01_turns_away_a_descriptor_past_fd_setsize() {
    room_for(1100);
    // A soft limit above FD_SETSIZE (1024): accept can return descriptors select cannot watch.
    let mut command = cmd("tcpservselect01");
    command.args(["--bind", "127.0.0.1", "--port", "0"]);
    // SAFETY: between fork and exec the child only calls setrlimit, async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
            setrlimit(Resource::RLIMIT_NOFILE, hard.min(1100), hard)?;
            Ok(())
        });
    }
    let s = Server::spawn(command, "tcpservselect01", LIMIT);
    let pid = s.pid();
    let base = fds(pid);
    let held = 1024 - base; // descriptors base..1023
    let mut socks: Vec<TcpStream> = (0..held)
        .map(|_| TcpStream::connect(("127.0.0.1", s.port)).expect("connect"))
        .collect();
    wait_for("the server to hold 1024 descriptors", || fds(pid) == 1024);
    // The next one gets descriptor 1024: closed at once, and the server goes on.
    let mut extra = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    extra.set_read_timeout(Some(LIMIT)).expect("timeout");
    let mut buf = [0u8; 1];
    assert_eq!(extra.read(&mut buf).expect("EOF"), 0, "turned away: EOF");
    let last = socks.last_mut().expect("a client");
    last.set_read_timeout(Some(LIMIT)).expect("timeout");
    last.write_all(b"x").expect("write");
    last.read_exact(&mut buf).expect("the echo");
    assert_eq!(&buf, b"x");
    drop(socks);
    drop(extra);
    wait_for("every descriptor back", || fds(pid) == base);
}
