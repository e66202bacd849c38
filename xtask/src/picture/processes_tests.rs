//! The process figure's layout, checked without a browser: Figure 4.17's state (the parent
//! holding listenfd, the child connfd, the connection to the client), a zombie marked, and no
//! label over another.

use std::net::SocketAddr;

use super::*;
use crate::kernel::{ProcRow, SockRow};
use crate::picture::overlapping;

fn proc(pid: i32, ppid: i32, state: char, fds: &[(i32, u64)]) -> ProcRow {
    let command = if pid == 10 {
        "tcpcli01 127.0.0.1"
    } else {
        "tcpserv01 --port 9877"
    };
    ProcRow {
        pid,
        ppid,
        pgid: pid,
        state,
        wchan: if state == 'Z' {
            "-".into()
        } else {
            "inet_csk_accept".into()
        },
        command: command.into(),
        host: String::new(),
        fds: fds
            .iter()
            .map(|(fd, node)| FdRow {
                fd: *fd,
                kind: "TCP".into(),
                node: *node,
                name: String::new(),
            })
            .collect(),
        signals: Default::default(),
    }
}

fn sock(local: &str, foreign: &str, state: &'static str, inode: u64, pid: i32) -> SockRow {
    SockRow {
        proto: "tcp",
        recv_q: 0,
        send_q: 0,
        local: local.parse::<SocketAddr>().unwrap(),
        foreign: foreign.parse::<SocketAddr>().unwrap(),
        state,
        owner: Some((pid, "tcpserv01".into())),
        cookie: inode,
        host: String::new(),
        inode,
    }
}

/// Figure 4.17: after the closes, a zombie from an earlier client beside them.
fn figure_4_17() -> Snapshot {
    Snapshot {
        procs: vec![
            proc(1, 0, 'S', &[(3, 100)]),
            proc(2, 1, 'S', &[(4, 101)]),
            proc(3, 1, 'Z', &[]),
            proc(10, 0, 'S', &[(3, 102)]),
        ],
        socks: vec![
            sock("127.0.0.1:9877", "0.0.0.0:0", "LISTEN", 100, 1),
            sock("127.0.0.1:9877", "127.0.0.1:40000", "ESTABLISHED", 101, 2),
            sock("127.0.0.1:40000", "127.0.0.1:9877", "ESTABLISHED", 102, 10),
        ],
        unix: Vec::new(),
    }
}

#[test]
fn figure_4_17_listenfd_in_the_parent_connfd_in_the_child() {
    let mut names = Names::new(true);
    let l = processes_layout(&figure_4_17(), &mut names).unwrap();
    assert_eq!(l.boxes.len(), 4);
    let texts: Vec<&str> = l.labels.iter().map(|l| l.text.as_str()).collect();
    assert!(
        texts.iter().any(|t| t.contains("fd 3 listenfd")),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t.contains("fd 4 connfd")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("fd 3 sockfd")), "{texts:?}");
    assert_eq!(
        l.conns.len(),
        1,
        "one connection, between the client and the child"
    );
    assert_eq!(l.boxes.iter().filter(|b| b.zombie).count(), 1);
    // The children hang from the parent, on the server's side.
    assert_eq!(l.boxes.iter().filter(|b| b.parent.is_some()).count(), 2);
    assert_eq!(overlapping(&l.labels.iter().collect::<Vec<_>>()), vec![]);
}

#[test]
fn after_fork_both_hold_both_sockets_and_both_connfds_join_the_client() {
    let mut snap = figure_4_17();
    snap.procs = vec![
        proc(1, 0, 'S', &[(3, 100), (4, 101)]),
        proc(2, 1, 'S', &[(3, 100), (4, 101)]),
        proc(10, 0, 'S', &[(3, 102)]),
    ];
    let l = processes_layout(&snap, &mut Names::new(false)).unwrap();
    assert_eq!(
        l.conns.len(),
        2,
        "Figure 4.15: the connection reaches both connfds"
    );
    assert_eq!(overlapping(&l.labels.iter().collect::<Vec<_>>()), vec![]);
    let svg = processes(&snap, &mut Names::new(false)).unwrap();
    assert_eq!(svg.matches("<line class=\"conn\"").count(), 2);
}
