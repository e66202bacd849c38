//! ch4-iterative's iterserv, tested directly: one client at a time, and the listen queue.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{Server, children, listeners, tcp_sockets, wait_for};

fn echo(sock: &mut TcpStream, line: &[u8]) -> Vec<u8> {
    sock.write_all(line).expect("write");
    sock.set_read_timeout(Some(common::LIMIT))
        .expect("a read timeout");
    let mut back = vec![0; line.len()];
    sock.read_exact(&mut back).expect("read the echo");
    back
}

#[test]
fn iterserv_serves_the_next_client_only_after_the_first_ends() {
    let s = Server::start("iterserv", &[]);
    let mut a = TcpStream::connect(("127.0.0.1", s.port)).expect("a connects");
    assert_eq!(echo(&mut a, b"from a\n"), b"from a\n");

    // b's connect completes (the kernel did the handshake) though nobody accepts it.
    let mut b = TcpStream::connect(("127.0.0.1", s.port)).expect("b connects");
    b.write_all(b"from b\n").expect("b writes");
    wait_for("b's bytes queued in the unaccepted connection", || {
        tcp_sockets(s.port, "ESTABLISHED").contains(&7)
    });
    // With b's bytes still unread by any process, no echo can be on its way: nothing to read.
    b.set_nonblocking(true).expect("nonblocking");
    let mut buf = [0u8; 16];
    assert_eq!(
        b.read(&mut buf).map_err(|e| e.kind()),
        Err(ErrorKind::WouldBlock)
    );
    assert!(children(s.pid()).is_empty(), "iterserv forks no child");

    drop(a); // a ends: the server accepts b and echoes what b sent long ago
    b.set_nonblocking(false).expect("blocking");
    b.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut back = [0u8; 7];
    b.read_exact(&mut back).expect("b's echo");
    assert_eq!(&back, b"from b\n");
}

#[test]
fn a_full_listen_queue_leaves_the_next_client_in_syn_sent() {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrIn, connect, socket};
    use std::os::fd::AsRawFd;

    let s = Server::start("iterserv", &["--backlog", "1"]);
    let mut a = TcpStream::connect(("127.0.0.1", s.port)).expect("a");
    assert_eq!(echo(&mut a, b"busy\n"), b"busy\n"); // the server is now busy with a
    let _b = TcpStream::connect(("127.0.0.1", s.port)).expect("b is queued");
    let _c = TcpStream::connect(("127.0.0.1", s.port)).expect("c is queued");
    // Linux keeps backlog + 1 completed connections: the listening socket's Recv-Q says 2.
    wait_for("two queued connections", || {
        tcp_sockets(s.port, "LISTEN") == [2]
    });

    // d's SYN is dropped: a non-blocking connect stays in progress, its socket in SYN_SENT.
    let d = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK,
        None,
    )
    .expect("socket");
    let addr = SockaddrIn::new(127, 0, 0, 1, s.port);
    assert_eq!(
        connect(d.as_raw_fd(), &addr),
        Err(nix::errno::Errno::EINPROGRESS)
    );
    wait_for("d in SYN_SENT", || {
        tcp_sockets(s.port, "SYN_SENT").len() == 1
    });
    assert_eq!(tcp_sockets(s.port, "LISTEN"), [2], "the queue did not grow");
    assert_eq!(listeners(s.port), 1);
}
