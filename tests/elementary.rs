//! ch4-elementary, tested directly: daytimetcpsrv1 prints the client's real port, and
//! stepserv's parent close leaves the child the connection's only descriptor, so that the
//! child's close sends the FIN (the check that catches the parent's close removed).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use common::{LIMIT, Server, cmd, end_group, lines_of, next_line, output_within, wait_for};

/// A step-by-step program (stepserv) in a process group of its own, driven line by line.
/// Dropping it kills and reaps the whole group, the children it forked included.
struct Stepped {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Stepped {
    fn start(name: &str, args: &[&str]) -> Stepped {
        let mut child = cmd(name)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("the program starts");
        let stdin = child.stdin.take().expect("piped");
        let lines = lines_of(child.stdout.take().expect("piped"));
        Stepped {
            child,
            stdin,
            lines,
        }
    }

    /// Type `call` and return the next line printed, which must start with `answer`.
    fn call(&mut self, call: &str, answer: &str) -> String {
        writeln!(self.stdin, "{call}").expect("type");
        let line = next_line(&self.lines, &format!("the answer to `{call}`"), LIMIT);
        assert!(
            line.starts_with(answer),
            "`{call}`: {line:?}, not {answer:?}..."
        );
        line
    }

    fn pgid(&self) -> i32 {
        self.child.id() as i32
    }
}

impl Drop for Stepped {
    fn drop(&mut self) {
        end_group(self.pgid());
    }
}

/// How many descriptors of the processes in process group `pgid` refer to socket `inode`.
fn refs(pgid: i32, inode: u64) -> usize {
    procfs::process::all_processes()
        .into_iter()
        .flatten()
        .flatten()
        .filter(|p| p.stat().is_ok_and(|s| s.pgrp == pgid))
        .filter_map(|p| p.fd().ok())
        .flat_map(|fds| fds.flatten().collect::<Vec<_>>())
        .filter(|fd| matches!(fd.target, procfs::process::FDTarget::Socket(i) if i == inode))
        .count()
}

/// The inode of the TCP socket from 127.0.0.1:`local` to 127.0.0.1:`remote`.
fn socket_inode(local: u16, remote: u16) -> u64 {
    let all = procfs::net::tcp().expect("/proc/net/tcp");
    let found = all
        .iter()
        .find(|e| e.local_address.port() == local && e.remote_address.port() == remote);
    found
        .map(|e| e.inode)
        .expect("the server's end of the connection")
}

#[test]
fn the_parents_close_leaves_the_child_the_only_descriptor_and_its_close_sends_fin() {
    let mut serv = Stepped::start("stepserv", &["--bind", "127.0.0.1", "--port", "0"]);
    serv.call("socket", "socket() = 3");
    serv.call("bind", "bind(3, 127.0.0.1:0): local address 127.0.0.1:");
    let listening = serv.call("listen", "listening on 127.0.0.1:");
    let port: u16 = listening
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");

    let mut client = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    client.set_read_timeout(Some(LIMIT)).expect("timeout");
    let me = client.local_addr().expect("local_addr").port();
    serv.call(
        "accept",
        &format!("accept(3) = 4: connection from 127.0.0.1:{me}"),
    );
    let conn = socket_inode(port, me);
    assert_eq!(refs(serv.pgid(), conn), 1, "after accept, one descriptor");

    // Parent and child print one line each, in either order.
    writeln!(serv.stdin, "fork").expect("type");
    let mut two: Vec<String> = (0..2)
        .map(|_| next_line(&serv.lines, "the parent's and the child's lines", LIMIT))
        .collect();
    two.sort();
    assert!(two[0].starts_with("child: close(3)"), "{two:?}");
    assert!(two[1].starts_with("fork() = "), "{two:?}");
    assert_eq!(
        refs(serv.pgid(), conn),
        2,
        "after fork, the parent's and the child's"
    );

    serv.call("close", "parent: close(4)");
    wait_for(
        "the parent's close(connfd) to leave the child the only descriptor",
        || refs(serv.pgid(), conn) == 1,
    );
    // No FIN yet: the client reads nothing within a moment.
    client
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let mut buf = [0u8; 16];
    let early = client.read(&mut buf);
    assert!(
        early.is_err(),
        "no FIN while the child holds the connection: {early:?}"
    );

    client.set_read_timeout(Some(LIMIT)).expect("timeout");
    serv.call("exec", "child: exec getpeer 4");
    let peer = next_line(&serv.lines, "getpeer's getpeername line", LIMIT);
    assert_eq!(peer.trim(), format!("getpeername(4) = 127.0.0.1:{me}"));
    let _ = next_line(&serv.lines, "getpeer's getsockname line", LIMIT);
    serv.call("close", "getpeer: close(4)");
    // The last descriptor closed: the FIN arrives, and the client reads EOF.
    let n = client
        .read(&mut buf)
        .expect("EOF, not a timeout: the child's close sends a FIN");
    assert_eq!(n, 0, "EOF");
    serv.call("exit", "parent: child ");
}

#[test]
fn daytimetcpsrv1_prints_the_clients_real_port() {
    let mut s = Server::start("daytimetcpsrv1", &[]);
    for _ in 0..3 {
        let mut client = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
        client.set_read_timeout(Some(LIMIT)).expect("timeout");
        let real = client.local_addr().expect("local_addr").port();
        let mut reply = String::new();
        client.read_to_string(&mut reply).expect("read to EOF");
        assert_eq!(
            reply.len(),
            26,
            "ctime's 24 characters and CR LF: {reply:?}"
        );
        assert!(reply.ends_with("\r\n"), "{reply:?}");
        assert_eq!(
            s.line().trim(),
            format!("connection from 127.0.0.1, port {real}")
        );
    }
}

#[test]
fn daytimetcpcli_prints_what_the_server_sends_until_eof() {
    let mut s = Server::start("daytimetcpsrv1", &[]);
    let cli = cmd("daytimetcpcli")
        .args(["127.0.0.1", "--port", &s.port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client starts");
    let out = output_within(cli, "daytimetcpcli to read to EOF");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.len() == 26 && text.ends_with("\r\n"), "{text:?}");
    assert!(s.line().starts_with("connection from 127.0.0.1, port "));
}

#[test]
fn bindtable_binds_as_figure_4_5_and_connect_fills_in_the_address() {
    let mut s = Server::start("daytimetcpsrv1", &[]);
    let mut bt = cmd("bindtable")
        .args([
            "127.0.0.1",
            "--port",
            &s.port.to_string(),
            "--local",
            "127.0.0.1",
        ])
        .args(["--lport", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bindtable starts");
    // --lport 0 is refused: the "nonzero port" rows need a port.
    let out = output_within(bt, "bindtable to refuse --lport 0");
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    // Two free ports in a row for the rows that bind a given port (other programs on this
    // machine may hold any fixed one), below the ephemeral range, so that the rows binding
    // port 0 cannot be given one of them.
    let lport = common::free_ports_below_ephemeral(2);
    bt = cmd("bindtable")
        .args([
            "127.0.0.1",
            "--port",
            &s.port.to_string(),
            "--local",
            "127.0.0.1",
        ])
        .args(["--lport", &lport.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bindtable starts");
    let out = output_within(bt, "bindtable to end at EOF");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("after connect"))
        .collect();
    assert_eq!(rows.len(), 5, "{text}");
    assert!(
        rows[0].starts_with("bind(3, 0.0.0.0:0): local 0.0.0.0:"),
        "{}",
        rows[0]
    );
    assert!(
        !rows[0].contains("0.0.0.0:0;"),
        "port 0 is replaced at bind: {}",
        rows[0]
    );
    assert!(
        rows[0].contains("after connect: local 127.0.0.1:"),
        "{}",
        rows[0]
    );
    let (p, q) = (lport, lport + 1);
    assert!(
        rows[1].contains(&format!("0.0.0.0:{p}; after connect: local 127.0.0.1:{p}")),
        "{text}"
    );
    assert!(
        rows[3].contains(&format!(
            "127.0.0.1:{q}; after connect: local 127.0.0.1:{q}"
        )),
        "{text}"
    );
    assert!(
        rows[4].starts_with("no bind(7):  local 0.0.0.0:0;"),
        "{}",
        rows[4]
    );
    for _ in 0..5 {
        assert!(s.line().starts_with("connection from 127.0.0.1, port "));
    }
}
