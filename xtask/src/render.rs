//! How the runner prints: step headers, program output, the ps and netstat tables, checks.
//! Plain text, so that a transcript pasted into a note or a chat reads the same.

use std::io::Write;

use crate::programs::Line;
use crate::state::Snapshot;

pub fn step_header(out: &mut impl Write, n: usize, total: usize, say: &str) {
    let _ = writeln!(out, "\n── Step {n}/{total} ──");
    for line in say.lines() {
        let _ = writeln!(out, "{line}");
    }
}

pub fn action(out: &mut impl Write, what: &str, whom: &str) {
    if whom.is_empty() {
        let _ = writeln!(out, "  {what}");
    } else {
        let _ = writeln!(out, "  {what}    [{whom}]");
    }
}

/// At most this many lines of output are shown per step.
const MAX_OUTPUT: usize = 12;

/// What the programs printed during the step, each line labelled by who printed it.
pub fn output(out: &mut impl Write, lines: &[Line]) {
    if lines.is_empty() {
        return;
    }
    let width = lines.iter().map(|l| l.who.len()).max().unwrap_or(0);
    let _ = writeln!(out);
    // A batch of a thousand echoes would bury the tables: show its start and its end.
    let (head, tail) = if lines.len() > MAX_OUTPUT {
        (MAX_OUTPUT / 2, MAX_OUTPUT / 2)
    } else {
        (lines.len(), 0)
    };
    let shown = lines[..head].iter().chain(&lines[lines.len() - tail..]);
    for (i, l) in shown.enumerate() {
        if i == head {
            let _ = writeln!(
                out,
                "  {:>width$} .. ({} more lines)",
                "",
                lines.len() - head - tail
            );
        }
        let who = &l.who;
        let text = &l.text;
        if l.note {
            let _ = writeln!(out, "  {who:>width$} ** {text}");
        } else if l.stderr {
            let _ = writeln!(out, "  {who:>width$} !> {text}");
        } else {
            let _ = writeln!(out, "  {who:>width$} |  {text}");
        }
    }
}

pub fn processes(out: &mut impl Write, snap: &Snapshot, runner: i32) {
    let mut rows = vec![["PID", "PPID", "STAT", "WCHAN", "COMMAND"].map(String::from)];
    for p in &snap.procs {
        let ppid = if p.ppid == runner {
            format!("{}*", p.ppid)
        } else {
            p.ppid.to_string()
        };
        rows.push([
            p.pid.to_string(),
            ppid,
            p.state.to_string(),
            p.wchan.clone(),
            p.command.clone(),
        ]);
    }
    let _ = writeln!(out);
    if snap.procs.is_empty() {
        let _ = writeln!(out, "  (no process of the scenario is left)");
    } else {
        table(out, &rows);
        let _ = writeln!(
            out,
            "  (* = the runner, pid {runner}, which started these programs)"
        );
    }
}

pub fn sockets(out: &mut impl Write, snap: &Snapshot) {
    let mut rows = vec![
        [
            "Proto",
            "Recv-Q",
            "Send-Q",
            "Local Address",
            "Foreign Address",
            "State",
            "PID/Program",
        ]
        .map(String::from),
    ];
    for s in &snap.socks {
        let owner = s
            .owner
            .as_ref()
            .map_or("-".to_string(), |(pid, name)| format!("{pid}/{name}"));
        let foreign = if s.foreign.port() == 0 {
            format!("{}:*", s.foreign.ip())
        } else {
            s.foreign.to_string()
        };
        rows.push([
            s.proto.to_string(),
            s.recv_q.to_string(),
            s.send_q.to_string(),
            s.local.to_string(),
            foreign,
            s.state.to_string(),
            owner,
        ]);
    }
    let _ = writeln!(out);
    if snap.socks.is_empty() {
        let _ = writeln!(out, "  (no socket of the scenario)");
    } else {
        table(out, &rows);
    }
}

pub fn check(out: &mut impl Write, ok: bool, what: &str) {
    if ok {
        let _ = writeln!(out, "  ✓ {what}");
    } else {
        let _ = writeln!(out, "  ✗ {what}");
    }
}

/// Left-aligned columns, two spaces apart; the last column is not padded.
fn table<const N: usize>(out: &mut impl Write, rows: &[[String; N]]) {
    let mut widths = [0; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::from(" ");
        for (i, cell) in row.iter().enumerate() {
            line.push(' ');
            line.push_str(cell);
            if i + 1 < N {
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 1));
            }
        }
        let _ = writeln!(out, "{line}");
    }
}
