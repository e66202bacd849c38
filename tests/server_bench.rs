//! A measurement, not a test: tcpserv04 (a process per client), tcpservselect01 and
//! tcpservpoll01 (one process for all), side by side in one run. Run by hand, in release:
//!
//! ```sh
//! cargo build --release -p ch5-sigchld -p ch6-select-server -p ch6-poll-server
//! cargo test --release --test server_bench -- --ignored --nocapture
//! ```
//!
//! For each server: the most clients it holds at once (each proven served by an echo, up to
//! HOLD_CAP), connections per second (connect, one byte echoed, close, one after another), and
//! echo throughput (ECHO_CLIENTS clients at once, each sending ECHO_BYTES and reading them back).
//! It asserts nothing about the numbers: the machine and its load decide them.
//! `BENCH_SERVERS=tcpservpoll01 BENCH_HOLD_CAP=19000` measures one server, with another cap.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Server, bin_dir};
use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// The most clients held that are tried, unless BENCH_HOLD_CAP says otherwise.
const HOLD_CAP: usize = 5000;
const CONNECTIONS: usize = 3000;
const ECHO_CLIENTS: usize = 10;
const ECHO_BYTES: usize = 20 << 20;

fn start(name: &str) -> Server {
    let mut command = Command::new(bin_dir().join(name));
    command.args(["--bind", "127.0.0.1", "--port", "0"]);
    Server::spawn(command, name, Duration::from_secs(10))
}

/// One byte there and back, within a second; false if the server closed or did not answer.
fn served(sock: &mut TcpStream) -> bool {
    let mut b = [0u8; 1];
    sock.set_read_timeout(Some(Duration::from_secs(1))).is_ok()
        && sock.write_all(b"x").is_ok()
        && matches!(sock.read(&mut b), Ok(1))
}

fn hold_cap() -> usize {
    std::env::var("BENCH_HOLD_CAP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(HOLD_CAP)
}

fn most_clients_held(port: u16) -> usize {
    let mut held = Vec::new();
    while held.len() < hold_cap() {
        let Ok(mut sock) = TcpStream::connect(("127.0.0.1", port)) else {
            break;
        };
        if !served(&mut sock) {
            break;
        }
        held.push(sock);
    }
    held.len()
}

fn connections_per_second(port: u16) -> f64 {
    let t = Instant::now();
    for _ in 0..CONNECTIONS {
        let mut sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        assert!(served(&mut sock), "served");
    }
    CONNECTIONS as f64 / t.elapsed().as_secs_f64()
}

fn echo_mb_per_second(port: u16) -> f64 {
    let t = Instant::now();
    let clients: Vec<_> = (0..ECHO_CLIENTS)
        .map(|_| {
            std::thread::spawn(move || {
                let sock = TcpStream::connect(("127.0.0.1", port)).expect("connect");
                sock.set_read_timeout(Some(Duration::from_secs(60)))
                    .expect("timeout");
                let mut writer = sock.try_clone().expect("clone");
                let w = std::thread::spawn(move || {
                    let chunk = vec![0xa5u8; 64 << 10];
                    for _ in 0..ECHO_BYTES / chunk.len() {
                        writer.write_all(&chunk).expect("write");
                    }
                });
                let mut sock = sock;
                let mut buf = vec![0u8; 64 << 10];
                let mut got = 0;
                while got < ECHO_BYTES {
                    let n = sock.read(&mut buf).expect("read");
                    assert!(n > 0, "EOF after {got} bytes");
                    got += n;
                }
                w.join().expect("writer");
            })
        })
        .collect();
    for c in clients {
        c.join().expect("client");
    }
    (ECHO_CLIENTS * ECHO_BYTES) as f64 / 1e6 / t.elapsed().as_secs_f64()
}

#[test]
#[ignore = "a measurement, run by hand in release (see the file's comment)"]
fn servers_side_by_side() {
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).expect("getrlimit");
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).expect("setrlimit");
    let cap = hold_cap();
    println!("RLIMIT_NOFILE {hard}; clients held up to {cap}; {CONNECTIONS} connections");
    println!(
        "{ECHO_CLIENTS} echo clients of {} MB each",
        ECHO_BYTES >> 20
    );
    println!(
        "{:<16} {:>12} {:>10} {:>10}",
        "server", "clients held", "conn/s", "echo MB/s"
    );
    let names = std::env::var("BENCH_SERVERS")
        .unwrap_or_else(|_| "tcpserv04 tcpservselect01 tcpservpoll01".to_string());
    for name in names.split_whitespace() {
        let s = start(name);
        let held = most_clients_held(s.port);
        drop(s); // its clients go with it; a fresh server for each measure
        let s = start(name);
        let cps = connections_per_second(s.port);
        drop(s);
        let s = start(name);
        let mbs = echo_mb_per_second(s.port);
        drop(s);
        println!("{name:<16} {held:>12} {cps:>10.0} {mbs:>10.0}");
    }
}
