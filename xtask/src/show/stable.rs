//! Stable mode's placeholders, for the course notes: PIDs become p1, p2, ... in the order they
//! appear (the runner's p0), the scenario's port 9877, other ports e1, e2, ..., socket and pipe
//! inodes n1, n2, ..., and the run's folder a name of the same length, so that a transcript does
//! not change from run to run.

use std::collections::HashMap;
use std::io::Write;

use crate::kernel::{Snapshot, SockRow};

use super::Printer;

/// The run's folder as stable mode writes it, whatever the pid: as long as the real name.
pub(super) const STABLE_RUN_DIR: &str = "/tmp/unp-lab.NNNNNNN";

/// The placeholders of stable mode.
#[derive(Default)]
pub(super) struct Stable {
    pub(super) pids: HashMap<i32, String>,
    pub(super) ports: HashMap<u16, String>,
    /// Socket and pipe inodes: n1, n2, ...
    pub(super) nodes: HashMap<u64, String>,
}

impl<W: Write> Printer<W> {
    /// Give the step's PIDs and ports their placeholders in table order (stable mode), before
    /// the program output that mentions them is printed.
    pub fn learn(&mut self, snap: &Snapshot) {
        if self.stable.is_none() {
            return;
        }
        for p in &snap.procs {
            self.pid(p.pid);
        }
        // Number the connections' client ports in an order that does not depend on the ports
        // themselves: the server's end first, by the child that owns it (children are forked in
        // the order connections are accepted), then any client end not numbered yet.
        let port = self.port;
        let mut socks: Vec<&SockRow> = snap.socks.iter().collect();
        socks.sort_by_key(|s| {
            (
                s.local.port() != port,
                s.owner.as_ref().map_or(i32::MAX, |o| o.0),
            )
        });
        for s in socks {
            self.port(ephemeral(s, port));
        }
    }

    pub(super) fn pid(&mut self, pid: i32) -> String {
        match &mut self.stable {
            None => pid.to_string(),
            Some(s) => {
                let n = s.pids.len();
                s.pids.entry(pid).or_insert_with(|| format!("p{n}")).clone()
            }
        }
    }

    /// An inode (lsof's NODE), as a placeholder in stable mode; `-` for none.
    pub(super) fn node(&mut self, node: u64) -> String {
        match &mut self.stable {
            _ if node == 0 => "-".to_string(),
            None => node.to_string(),
            Some(s) => {
                let n = s.nodes.len() + 1;
                s.nodes
                    .entry(node)
                    .or_insert_with(|| format!("n{n}"))
                    .clone()
            }
        }
    }

    pub(super) fn port(&mut self, port: u16) -> String {
        let server = self.port;
        match &mut self.stable {
            _ if port == 0 => "*".to_string(), // netstat's way to say "any port"
            None => port.to_string(),
            Some(_) if port == server => unp::SERV_PORT.to_string(),
            Some(s) => {
                let n = s.ports.len() + 1;
                s.ports
                    .entry(port)
                    .or_insert_with(|| format!("e{n}"))
                    .clone()
            }
        }
    }

    /// A path in the run's folder, as stable mode writes it.
    pub(super) fn paths(&self, text: &str) -> String {
        match (&self.stable, &self.run_dir) {
            (Some(_), Some(dir)) => text.replace(dir, STABLE_RUN_DIR),
            _ => text.to_string(),
        }
    }

    /// Free text with the run's numbers in it: in stable mode, replace the pids already seen
    /// and the scenario's port.
    pub(super) fn text(&mut self, text: &str) -> String {
        let Some(s) = &self.stable else {
            return text.to_string();
        };
        let text = &self.paths(text);
        let port = self.port.to_string();
        text.split_inclusive(|c: char| !c.is_ascii_digit())
            .map(|word| {
                let digits = word.trim_end_matches(|c: char| !c.is_ascii_digit());
                let rest = &word[digits.len()..];
                let known_port = digits.parse::<u16>().ok().and_then(|n| s.ports.get(&n));
                match digits.parse::<i32>() {
                    Ok(n) if s.pids.contains_key(&n) => format!("{}{rest}", s.pids[&n]),
                    _ if digits == port => format!("{}{rest}", unp::SERV_PORT),
                    _ if let Some(name) = known_port => format!("{name}{rest}"),
                    _ => word.to_string(),
                }
            })
            .collect()
    }
}

/// The connection's port that is not the server's (the client's ephemeral port).
pub(super) fn ephemeral(s: &SockRow, server_port: u16) -> u16 {
    if s.local.port() == server_port {
        s.foreign.port()
    } else {
        s.local.port()
    }
}
