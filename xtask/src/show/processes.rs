//! The ps table: the scenario's processes, marked against the previous step's.

use std::io::Write;

use crate::kernel::{ProcRow, Snapshot};

use super::Printer;
use super::table::{Mark, marked};

impl<W: Write> Printer<W> {
    pub(super) fn processes(&mut self, snap: &Snapshot, prev: &Snapshot) {
        let runner = std::process::id() as i32;
        let mut rows = vec![(
            Mark::Same,
            ["HOST", "PID", "PPID", "STAT", "WCHAN", "COMMAND"].map(String::from),
        )];
        let key = |p: &ProcRow| p.pid;
        for (mark, p) in marked(&snap.procs, &prev.procs, key, |a, b| a.state != b.state) {
            let star = if p.ppid == runner { "*" } else { "" };
            let cells = [
                p.host.clone(),
                self.pid(p.pid),
                format!("{}{star}", self.pid(p.ppid)),
                p.state.to_string(),
                p.wchan.clone(),
                {
                    let shown = self.port(self.port);
                    self.paths(&p.command)
                        .replace(&format!("--port {}", self.port), &format!("--port {shown}"))
                },
            ];
            rows.push((mark, cells));
        }
        let _ = writeln!(self.out);
        if rows.len() == 1 {
            let _ = writeln!(self.out, "  (no process to show)");
        } else {
            self.table(&rows, &[]);
            // The legend once a run: a class has read it by the second step.
            if self.legend_shown || !snap.procs.iter().any(|p| p.ppid == runner) {
                return;
            }
            self.legend_shown = true;
            let runner = self.pid(runner);
            let _ = writeln!(
                self.out,
                "  (* = the runner, pid {runner}, which started these programs)"
            );
        }
    }
}
