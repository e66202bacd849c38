//! The runner's socket-table reader (xtask/src/sockdiag.rs) against sockets whose state these
//! tests know: the addresses, state numbers, queues and inodes it reads must agree with the
//! kernel, for TCP, UDP and Unix-domain sockets.

mod common;

use common::sockdiag::{Diag, Sock, UnixSock, dump, tcp_state_name};
use nix::sys::socket::{setsockopt, sockopt};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{UnixDatagram, UnixListener, UnixStream};
use std::time::{Duration, Instant};

/// The IPv4 sockets of `protocol` that are the server's on `port` (no peer) or either end of
/// `client`'s connection, once `ready` holds for them (loopback delivers in the kernel's own
/// time, so each test waits for its state, up to 5 s). Earlier users of the same ports may
/// have left connections in TIME_WAIT, to `port` or from `client`'s port: they are not these.
fn ours(
    port: u16,
    client: SocketAddr,
    protocol: i32,
    ready: impl Fn(&[Sock]) -> bool,
) -> Vec<Sock> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut socks = dump(libc::AF_INET, protocol).expect("a sock_diag dump");
        socks.retain(|s| {
            (s.local.port() == port && s.remote.port() == 0)
                || (s.local == client && s.remote.port() == port)
                || (s.remote == client && s.local.port() == port)
        });
        socks.sort_by_key(|s| (s.state, s.local));
        if ready(&socks) || Instant::now() > deadline {
            return socks;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn names(socks: &[Sock]) -> Vec<&'static str> {
    socks.iter().map(|s| tcp_state_name(s.state)).collect()
}

#[test]
fn a_dump_shows_a_connection_as_the_kernel_has_it() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let addr = client.local_addr().expect("addr");
    // The client's end, the server's end waiting in the accept queue, and the listener.
    let queued = ["ESTABLISHED", "ESTABLISHED", "LISTEN"];
    let socks = ours(port, addr, libc::IPPROTO_TCP, |s| names(s) == queued);
    assert_eq!(names(&socks), queued, "{socks:?}");
    assert_eq!(
        socks[2].recv_q, 1,
        "one connection waits for accept: {socks:?}"
    );
    let client_end = socks.iter().find(|s| s.local == addr).expect("client");
    assert_eq!(client_end.remote.port(), port);
    assert_ne!(client_end.inode, 0, "a process holds it");

    // The client closes first, so its end ends in TIME_WAIT, which no process holds.
    let (mut served, _) = listener.accept().expect("accept");
    drop(client);
    assert_eq!(served.read(&mut [0; 1]).expect("read EOF"), 0);
    drop(served);
    let socks = ours(port, addr, libc::IPPROTO_TCP, |s| {
        names(s).contains(&"TIME_WAIT")
    });
    let waiting = socks.iter().find(|s| s.local == addr);
    let waiting = waiting.map(|s| (tcp_state_name(s.state), s.inode));
    assert_eq!(waiting, Some(("TIME_WAIT", 0)), "{socks:?}");
}

#[test]
fn a_dump_shows_udp_sockets_and_their_queues() {
    let server = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let port = server.local_addr().expect("addr").port();
    let client = UdpSocket::bind("127.0.0.1:0").expect("bind");
    client.connect(("127.0.0.1", port)).expect("connect");
    client.send(b"hello").expect("send");
    let addr = client.local_addr().expect("addr");
    let socks = ours(port, addr, libc::IPPROTO_UDP, |s| {
        s.iter().any(|s| s.recv_q > 0)
    });
    assert_eq!(names(&socks), ["ESTABLISHED", "CLOSE"], "{socks:?}");
    // The unread datagram is counted in the server's Recv-Q, with the kernel's overhead.
    assert!(socks[1].recv_q >= 5, "{socks:?}");
    assert_eq!(socks[1].local, server.local_addr().expect("addr"));
}

#[test]
fn a_dump_reads_ipv6_addresses() {
    // Where the machine has no IPv6 loopback there is nothing to read.
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        return;
    };
    let port = listener.local_addr().expect("addr").port();
    let socks = dump(libc::AF_INET6, libc::IPPROTO_TCP).expect("a sock_diag dump");
    let ours: Vec<&Sock> = socks.iter().filter(|s| s.local.port() == port).collect();
    assert_eq!(ours.len(), 1, "{socks:?}");
    assert_eq!(ours[0].local, listener.local_addr().expect("addr"));
    assert_eq!(tcp_state_name(ours[0].state), "LISTEN");
}

/// The reason for netlink: while other sockets come and go, /proc/net/tcp repeats and skips
/// rows. Every dump here must show each of 40 open connections exactly once while another
/// thread opens and closes connections on a second port.
#[test]
fn a_dump_shows_each_socket_once_while_others_come_and_go() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let clients: Vec<TcpStream> = (0..40)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect"))
        .collect();
    let served: Vec<TcpStream> = (0..40)
        .map(|_| listener.accept().expect("accept").0)
        .collect();

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let other = TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = other.local_addr().expect("addr");
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let c = TcpStream::connect(addr).expect("connect");
                drop(other.accept().expect("accept"));
                // Closed with a reset (SO_LINGER 0), so that no TIME_WAIT is left behind.
                let linger = libc::linger {
                    l_onoff: 1,
                    l_linger: 0,
                };
                setsockopt(&c, sockopt::Linger, &linger).expect("SO_LINGER");
                drop(c);
            }
        })
    };
    for _ in 0..200 {
        let socks = dump(libc::AF_INET, libc::IPPROTO_TCP).expect("a sock_diag dump");
        let mut ends: Vec<_> = socks
            .iter()
            .filter(|s| tcp_state_name(s.state) == "ESTABLISHED")
            .filter(|s| s.local.port() == port || s.remote.port() == port)
            .map(|s| (s.local, s.remote))
            .collect();
        ends.sort();
        let before = ends.len();
        ends.dedup();
        assert_eq!(
            (before, ends.len()),
            (80, 80),
            "each end of 40 connections once"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churn.join().expect("churn thread");
    drop((clients, served));
}

/// The runner leaves out the sockets an earlier run left on its port, and tells them from its
/// own by the kernel's cookie, not by addresses: Linux lets a new connection take over the
/// addresses of one in TIME_WAIT (when TCP timestamps are on, as by default): at once if the
/// program bound its port, and on loopback after a second if the kernel chose the port
/// (net.ipv4.tcp_tw_reuse = 2, the default). The new connection's TIME_WAIT then has the same
/// addresses and a new cookie.
#[test]
fn a_connection_that_reuses_a_time_wait_is_a_new_socket() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let server = listener.local_addr().expect("addr");
    // Both connections set SO_REUSEADDR, or the second could not bind the first one's port.
    let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
    let first = connect_from(any_port, server).expect("connect");
    let client = first.local_addr().expect("addr");
    let close_first = |mut end: TcpStream| {
        let (mut served, _) = listener.accept().expect("accept");
        end.shutdown(std::net::Shutdown::Write).expect("FIN");
        assert_eq!(served.read(&mut [0; 1]).expect("EOF"), 0);
        drop(served);
        assert_eq!(end.read(&mut [0; 1]).expect("EOF"), 0);
    };
    close_first(first);
    // The cookie of the client's end in TIME_WAIT, once it is not `not`.
    let time_wait = |not: u64| {
        let socks = ours(server.port(), client, libc::IPPROTO_TCP, |s| {
            s.iter()
                .any(|s| s.state == 6 && s.local == client && s.cookie != not)
        });
        let tw: Vec<u64> = socks
            .iter()
            .filter(|s| s.state == 6 && s.local == client)
            .map(|s| s.cookie)
            .collect();
        assert_eq!(tw.len(), 1, "one TIME_WAIT for these addresses: {socks:?}");
        tw[0]
    };
    let old = time_wait(0);

    // Connect again from the same port: the kernel lets the new connection take over the
    // TIME_WAIT's addresses at once, since the program chose the port itself.
    let second = connect_from(client, server).expect("connect over a TIME_WAIT");
    close_first(second);
    let new = time_wait(old);
    assert_ne!((old, new), (0, 0));
    assert_ne!(
        old, new,
        "a new connection on the same addresses is a new socket"
    );
}

/// A TCP connection from exactly `from` to `to`.
fn connect_from(from: SocketAddr, to: SocketAddr) -> nix::Result<TcpStream> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, bind, connect, socket};
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    let addr = |a: SocketAddr| match a {
        SocketAddr::V4(v4) => SockaddrIn::from(v4),
        SocketAddr::V6(_) => unreachable!("IPv4 only"),
    };
    bind(std::os::fd::AsRawFd::as_raw_fd(&fd), &addr(from))?;
    connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &addr(to))?;
    Ok(TcpStream::from(fd))
}

/// The inode of the socket `fd` refers to, as fstat(2) gives it: the number /proc/PID/fd/N
/// names.
fn inode_of(fd: impl Into<OwnedFd>) -> u64 {
    let file = std::fs::File::from(fd.into());
    file.metadata().expect("fstat").ino()
}

#[test]
fn a_unix_dump_shows_a_listener_and_both_ends_of_a_connection() {
    let dir = std::env::temp_dir().join(format!("unp-lab-sockdiag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory for the socket");
    let path = dir.join("unix.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).expect("bind");
    let mut client = UnixStream::connect(&path).expect("connect");
    let (served, _) = listener.accept().expect("accept");
    // A second connection waits in the accept queue, and an unbound datagram socket is in
    // neither LISTEN nor ESTABLISHED: the dump must ask for every state to see it.
    let _waiting = UnixStream::connect(&path).expect("connect");
    let lone = UnixDatagram::unbound().expect("socket");
    client.write_all(b"hello").expect("write");

    let inode = |s: &UnixStream| inode_of(s.try_clone().expect("dup"));
    let (client_ino, served_ino) = (inode(&client), inode(&served));
    let listener_ino = inode_of(listener.try_clone().expect("dup"));
    let lone_ino = inode_of(lone.try_clone().expect("dup"));

    // Unix-domain connect and write are done when they return: no waiting for the kernel.
    let socks = Diag::open()
        .expect("a sock_diag socket")
        .dump_unix()
        .expect("a dump");
    let find = |ino: u64| -> &UnixSock {
        let found = socks.iter().find(|s| s.inode == ino);
        found.unwrap_or_else(|| panic!("socket {ino} in {socks:?}"))
    };
    let name = Some(path.to_string_lossy().into_owned());

    let l = find(listener_ino);
    assert_eq!(l.kind, libc::SOCK_STREAM as u8, "{l:?}");
    assert_eq!(tcp_state_name(l.state), "LISTEN", "{l:?}");
    assert_eq!(l.path, name, "{l:?}");
    assert_eq!(
        (l.peer, l.recv_q),
        (0, 1),
        "one connection waits for accept: {l:?}"
    );

    let c = find(client_ino);
    assert_eq!(tcp_state_name(c.state), "ESTABLISHED", "{c:?}");
    assert_eq!(c.peer, served_ino, "{c:?}");
    assert_eq!(c.path, None, "the client did not bind: {c:?}");

    // The accepted end carries the listener's name, as in netstat -x.
    let s = find(served_ino);
    assert_eq!(tcp_state_name(s.state), "ESTABLISHED", "{s:?}");
    assert_eq!(s.peer, client_ino, "{s:?}");
    assert_eq!(s.path, name, "{s:?}");
    assert_eq!(
        s.recv_q, 5,
        "the five bytes written and not yet read: {s:?}"
    );

    let d = find(lone_ino);
    assert_eq!(d.kind, libc::SOCK_DGRAM as u8, "{d:?}");
    assert_eq!(
        (tcp_state_name(d.state), d.peer, &d.path),
        ("CLOSE", 0, &None),
        "{d:?}"
    );

    drop((listener, client, served));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A protocol the kernel has no table for is an error with its errno, and bad numbers are an
/// error, not a panic; the same socket then answers the next request.
#[test]
fn a_dump_the_kernel_cannot_answer_is_an_error_and_the_socket_stays_usable() {
    let diag = Diag::open().expect("a sock_diag socket");
    let err = diag
        .dump(libc::AF_INET, 255)
        .expect_err("no protocol 255 table");
    assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
    let err = diag.dump(-1, libc::IPPROTO_TCP).expect_err("no family -1");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let socks = diag.dump(libc::AF_INET, libc::IPPROTO_TCP).expect("a dump");
    let found: Vec<&Sock> = socks.iter().filter(|s| s.local == addr).collect();
    assert_eq!(found.len(), 1, "{socks:?}");
}
