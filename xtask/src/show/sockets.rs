//! The netstat tables: Internet sockets (TCP and UDP) and Unix-domain sockets, marked against the
//! previous step's.

use std::io::Write;

use crate::kernel::{Snapshot, SockRow, UnixRow};

use super::Printer;
use super::stable::ephemeral;
use super::table::{Mark, marked};

impl<W: Write> Printer<W> {
    pub(super) fn sockets(&mut self, snap: &Snapshot, prev: &Snapshot) {
        let header = [
            "HOST",
            "Proto",
            "Recv-Q",
            "Send-Q",
            "Local Address",
            "Foreign Address",
            "State",
            "PID/Program",
        ];
        let mut rows = vec![(Mark::Same, header.map(String::from))];
        let key = |s: &SockRow| (s.proto, s.local, s.foreign);
        let mut socks = marked(&snap.socks, &prev.socks, key, |a, b| a.state != b.state);
        // Listening sockets first, then each connection's two ends together, server's first.
        let port = self.port;
        let order = |s: &SockRow, me: &Self| {
            let client = ephemeral(s, port);
            let rank = me
                .stable
                .as_ref()
                .and_then(|st| st.ports.get(&client))
                .map_or(client as usize, |name| {
                    name.trim_start_matches('e').parse().unwrap_or(usize::MAX)
                });
            (s.proto, s.state != "LISTEN", rank, s.local.port() != port)
        };
        let gone = socks
            .iter()
            .position(|(m, _)| *m == Mark::Gone)
            .unwrap_or(socks.len());
        socks[..gone].sort_by_key(|(_, s)| order(s, self));
        socks[gone..].sort_by_key(|(_, s)| order(s, self));
        // TIME_WAITs left by earlier steps change nothing more for 60 s: fold them into a count,
        // so that a table shows what this step did.
        let old_time_waits = socks
            .iter()
            .filter(|(m, s)| *m == Mark::Same && s.state == "TIME_WAIT")
            .count();
        socks.retain(|(m, s)| !(*m == Mark::Same && s.state == "TIME_WAIT"));
        for (mark, s) in socks {
            let owner = match &s.owner {
                Some((pid, name)) => format!("{}/{name}", self.pid(*pid)),
                None => "-".to_string(),
            };
            let cells = [
                s.host.clone(),
                s.proto.to_string(),
                s.recv_q.to_string(),
                s.send_q.to_string(),
                format!("{}:{}", s.local.ip(), self.port(s.local.port())),
                format!("{}:{}", s.foreign.ip(), self.port(s.foreign.port())),
                s.state.to_string(),
                owner,
            ];
            rows.push((mark, cells));
        }
        // With Unix sockets only, their table follows: "no socket" would say otherwise. A lesson
        // without servers is not told every step that it has none.
        let unix = !snap.unix.is_empty() || !prev.unix.is_empty();
        if rows.len() == 1 && old_time_waits == 0 && !unix && self.servers {
            let _ = writeln!(self.out, "\n  (no socket to show)");
        } else if rows.len() > 1 {
            let _ = writeln!(self.out);
            // Local and Foreign Address give way first: the program's name is read whole.
            self.table(&rows, &[4, 5]);
        } else if old_time_waits > 0 || (unix && self.servers) {
            let _ = writeln!(self.out);
        }
        if old_time_waits > 0 {
            let n = old_time_waits;
            let what = if n == 1 { "socket" } else { "sockets" };
            let _ = writeln!(
                self.out,
                "  (and {n} {what} in TIME_WAIT since an earlier step, not shown)"
            );
        }
    }

    /// Unix-domain sockets, in netstat -x's terms, with the inode of each one's peer; marked
    /// against the previous step's like the other tables.
    pub(super) fn unix(&mut self, snap: &Snapshot, prev: &Snapshot) {
        let header = [
            "HOST",
            "Proto",
            "Recv-Q",
            "Send-Q",
            "Type",
            "State",
            "I-Node",
            "Peer",
            "Path",
            "PID/Program",
        ];
        let mut rows = vec![(Mark::Same, header.map(String::from))];
        let key = |u: &UnixRow| (u.host.clone(), u.inode);
        let mut socks = marked(&snap.unix, &prev.unix, key, |a, b| a.state != b.state);
        // sock_diag lists them in no useful order: listening sockets first, then by owner (the
        // order the programs started in), so that the table and its placeholders are the same
        // in every run.
        let order = |u: &UnixRow| {
            let owner = u.owner.as_ref().map_or(i32::MAX, |(pid, _)| *pid);
            (u.state != "LISTENING", owner, u.path.is_empty())
        };
        let gone = socks
            .iter()
            .position(|(m, _)| *m == Mark::Gone)
            .unwrap_or(socks.len());
        socks[..gone].sort_by_key(|(_, u)| order(u));
        socks[gone..].sort_by_key(|(_, u)| order(u));
        for (mark, u) in socks {
            let owner = match &u.owner {
                Some((pid, name)) => format!("{}/{name}", self.pid(*pid)),
                None => "-".to_string(),
            };
            let peer = self.node(u.peer);
            let inode = self.node(u.inode);
            let cells = [
                u.host.clone(),
                "unix".to_string(),
                u.recv_q.to_string(),
                u.send_q.to_string(),
                u.kind.to_string(),
                u.state.to_string(),
                inode,
                peer,
                self.text(&u.path), // a path may hold the run's folder, or a pid
                owner,
            ];
            rows.push((mark, cells));
        }
        let _ = writeln!(self.out);
        // A path keeps its end (its file's name) when cut.
        self.table(&rows, &[8]);
    }
}
