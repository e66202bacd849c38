//! The views a step may ask for besides the two tables: each process's descriptors (lsof) and
//! its signals (/proc/PID/status).

use std::io::Write;

use crate::kernel::{Signals, Snapshot};

use super::Printer;
use super::table::Mark;

impl<W: Write> Printer<W> {
    /// Each process's open descriptors, in lsof's columns. NODE is the socket's (or pipe's)
    /// inode, REFS how many descriptors of the scenario's processes refer to it: the same NODE
    /// in two processes is one socket, as after fork (§4.8). Descriptors 0 to 2, the pipes the
    /// runner gave each program, are left out.
    pub fn fds(&mut self, snap: &Snapshot) {
        let header = [
            "HOST", "COMMAND", "PID", "FD", "TYPE", "NODE", "REFS", "NAME",
        ];
        let mut rows = vec![(Mark::Same, header.map(String::from))];
        for p in &snap.procs {
            let command = p.program().to_string();
            for f in p.fds.iter().filter(|f| !(f.fd <= 2 && f.kind == "pipe")) {
                let node = self.node(f.node);
                let name = if f.kind == "pipe" {
                    format!("pipe:[{node}]")
                } else {
                    self.text(&f.name)
                };
                let cells = [
                    p.host.clone(),
                    command.clone(),
                    self.pid(p.pid),
                    f.fd.to_string(),
                    f.kind.clone(),
                    node,
                    snap.refs(f.node).max(1).to_string(),
                    name,
                ];
                rows.push((Mark::Same, cells));
            }
        }
        let _ = writeln!(self.out);
        if rows.len() == 1 {
            let _ = writeln!(self.out, "  (no descriptor beyond 0, 1 and 2)");
        } else {
            self.table(&rows, &[]);
        }
    }

    /// Each process's signals: pending (sent, not yet delivered), blocked (sigprocmask),
    /// ignored (SIG_IGN) and caught (a handler), from /proc/PID/status.
    pub fn signals(&mut self, snap: &Snapshot) {
        let header = [
            "HOST", "PID", "COMMAND", "PENDING", "BLOCKED", "IGNORED", "CAUGHT",
        ];
        let mut rows = vec![(Mark::Same, header.map(String::from))];
        for p in &snap.procs {
            let g = p.signals;
            let command = p.program().to_string();
            let cells = [
                p.host.clone(),
                self.pid(p.pid),
                command,
                Signals::names(g.pending),
                Signals::names(g.blocked),
                Signals::names(g.ignored),
                Signals::names(g.caught),
            ];
            rows.push((Mark::Same, cells));
        }
        let _ = writeln!(self.out);
        self.table(&rows, &[]);
    }
}
