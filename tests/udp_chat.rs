//! ch8-udp-chat, tested directly: the relay, its limit, any bytes, vanishing clients, and a
//! client that reaps its receiving child.

mod common;

use std::io::Write;
use std::net::UdpSocket;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::{LIMIT, Server, children, cmd, ended, lines_of, next_line, wait_for};

fn client() -> UdpSocket {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind");
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    sock
}

fn recv(sock: &UdpSocket) -> Vec<u8> {
    let mut buf = vec![0u8; 70_000];
    let n = sock.recv(&mut buf).expect("a datagram arrives");
    buf.truncate(n);
    buf
}

/// Join the chat: send a line, and wait until the server has printed that it joined.
fn join(s: &mut Server, sock: &UdpSocket) {
    sock.send_to(b"hi\n", ("127.0.0.1", s.port)).expect("send");
    assert!(s.line().contains("joined"));
}

#[test]
fn chatserv_relays_to_every_other_client_with_the_senders_address() {
    let mut s = Server::start("chatserv", &[]);
    let (a, b, c) = (client(), client(), client());
    for sock in [&a, &b, &c] {
        join(&mut s, sock);
    }
    // Each got the hellos of those who joined after it; a's next line must reach b and c.
    let a_addr = a.local_addr().expect("addr");
    a.send_to(b"hello\n", ("127.0.0.1", s.port)).expect("send");
    let want = format!("{a_addr}>> hello\n").into_bytes();
    for sock in [&b, &c] {
        let mut got = recv(sock);
        while got != want {
            got = recv(sock); // earlier hellos come first
        }
    }
    // a does not get its own line back: after its two hellos (from b, c), nothing is waiting.
    a.set_nonblocking(true).expect("nonblocking");
    let mut seen = Vec::new();
    let mut buf = [0u8; 100];
    while let Ok(n) = a.recv(&mut buf) {
        seen.push(buf[..n].to_vec());
    }
    assert!(!seen.contains(&want), "a got its own message: {seen:?}");
}

#[test]
fn chatserv_takes_any_bytes_up_to_the_largest_datagram() {
    let mut s = Server::start("chatserv", &[]);
    let (a, b) = (client(), client());
    join(&mut s, &a);
    join(&mut s, &b);
    let _ = recv(&a); // b's hello
    let prefix = format!("{}>> ", a.local_addr().expect("addr")).into_bytes();

    let binary: Vec<u8> = (0..1000u32).map(|i| (i % 256) as u8).collect(); // NULs included
    a.send_to(&binary, ("127.0.0.1", s.port)).expect("send");
    assert_eq!(recv(&b), [prefix.clone(), binary].concat());

    // The largest IPv4 UDP payload: with the prefix it no longer fits in one datagram, so the
    // prefix comes first, then the message, unchanged.
    let largest: Vec<u8> = (0..65_507u32).map(|i| (i * 31 % 256) as u8).collect();
    a.send_to(&largest, ("127.0.0.1", s.port)).expect("send");
    assert_eq!(recv(&b), prefix);
    assert_eq!(recv(&b), largest);
}

#[test]
fn chatserv_keeps_its_limit_and_tells_the_eleventh_client() {
    let mut s = Server::start("chatserv", &[]);
    let ten: Vec<UdpSocket> = (0..10).map(|_| client()).collect();
    for sock in &ten {
        join(&mut s, sock);
    }
    assert!(s.line().contains("the chat is full now: 10 clients"));
    let eleventh = client();
    eleventh
        .send_to(b"me too\n", ("127.0.0.1", s.port))
        .expect("send");
    assert_eq!(recv(&eleventh), b"chat is full: 10 clients already\n");
    // When one leaves, the next finds room.
    ten[3]
        .send_to(b"END\n", ("127.0.0.1", s.port))
        .expect("send");
    assert!(s.line().contains("left (9 remain)"));
    join(&mut s, &eleventh);
}

#[test]
fn chatserv_survives_clients_that_vanish() {
    let mut s = Server::start("chatserv", &[]);
    let (a, b) = (client(), client());
    join(&mut s, &a);
    join(&mut s, &b);
    let _ = recv(&a);
    drop(a); // gone without END: its port no longer answers
    for i in 0..100 {
        b.send_to(
            format!("still there {i}\n").as_bytes(),
            ("127.0.0.1", s.port),
        )
        .expect("send");
    }
    let c = client();
    join(&mut s, &c);
    b.send_to(b"last\n", ("127.0.0.1", s.port)).expect("send");
    let want = format!("{}>> last\n", b.local_addr().expect("addr")).into_bytes();
    assert_eq!(recv(&c), want);
    assert_eq!(
        s.child.try_wait().expect("try_wait"),
        None,
        "chatserv is still running"
    );
}

#[test]
fn chatcli_prints_what_others_send_and_reaps_its_child_at_the_end() {
    let mut s = Server::start("chatserv", &[]);
    let mut cli = cmd("chatcli")
        .args(["127.0.0.1", "--port", &s.port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("chatcli starts");
    let pid = cli.id() as i32;
    wait_for("its receiving child", || children(pid).len() == 1);
    let receiver = children(pid)[0].pid;
    let mut stdin = cli.stdin.take().expect("piped");
    stdin.write_all(b"hello from chatcli\n").expect("type");
    assert!(s.line().contains("joined"));

    let other = client();
    join(&mut s, &other);
    let out = lines_of(cli.stdout.take().expect("piped"));
    let line = next_line(&out, "chatcli to print the other's hi", LIMIT);
    assert_eq!(
        line,
        format!("{}>> hi\n", other.local_addr().expect("addr"))
    );

    drop(stdin); // EOF: chatcli sends END, kills its child, waits for it
    let status = ended(&mut cli, "chatcli to end at EOF");
    assert!(status.success());
    let line = next_line(&out, "chatcli's last line", LIMIT);
    assert!(line.contains("reaped"), "{line}");
    assert!(s.line().contains("left"));
    // Not reaped, the child would be a zombie reparented to this test process (a subreaper).
    assert!(
        !Path::new(&format!("/proc/{receiver}")).exists(),
        "the receiver was reaped"
    );
}

/// While the chat is full, a datagram from an address that is not a member is answered and
/// dropped: no member ever sees it. Each member's datagrams come from the one server socket in
/// order, so once a member's marker has arrived, anything relayed before it has too.
#[test]
fn chatserv_relays_nothing_from_a_stranger_while_full() {
    let mut s = Server::start("chatserv", &[]);
    let ten: Vec<UdpSocket> = (0..10).map(|_| client()).collect();
    for sock in &ten {
        join(&mut s, sock);
    }
    assert!(s.line().contains("the chat is full now"));
    let stranger = client();
    stranger
        .send_to(b"let me in\n", ("127.0.0.1", s.port))
        .expect("send");
    assert_eq!(recv(&stranger), b"chat is full: 10 clients already\n");
    ten[0]
        .send_to(b"marker\n", ("127.0.0.1", s.port))
        .expect("send");
    let marker = format!("{}>> marker\n", ten[0].local_addr().expect("addr")).into_bytes();
    for (i, member) in ten.iter().enumerate().skip(1) {
        loop {
            let got = recv(member);
            assert!(
                !String::from_utf8_lossy(&got).contains("let me in"),
                "member {i} got the stranger's datagram: {got:?}"
            );
            if got == marker {
                break;
            }
        }
    }
}
