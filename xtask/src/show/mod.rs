//! How the runner prints: step headers, program output, the ps and netstat tables with what
//! changed since the previous step, and the checks.
//!
//! Everything reads as plain text, so that a transcript pasted into a note or a chat says the
//! same: a row's first column is `+` (new since the previous step), `-` (gone; shown once more),
//! `~` (its STAT or TCP state changed) or blank. Colour is added as [`term`] decides.
//!
//! In stable mode (for the course notes), PIDs become p1, p2, ... in the order they appear, the
//! runner's PID p0, the scenario's port 9877, other ports e1, e2, ..., and timings N.NN, so that
//! a transcript does not change from run to run.

pub mod term;

use std::collections::HashMap;
use std::io::Write;

use anstyle::Style;

use crate::kernel::{ProcRow, Signals, Snapshot, SockRow, UnixRow};
use crate::supervise::Line;
use term::palette;

pub use term::ColorChoice;

/// At most this many lines of one program's output are shown per step.
const MAX_OUTPUT: usize = 12;

pub struct Printer<W: Write> {
    out: W,
    color: bool,
    stable: Option<Stable>,
    prev: Snapshot,
    /// The scenario's server port.
    port: u16,
    /// Whether the run has several hosts: then each row says which one.
    hosts: bool,
    /// Whether the `*` legend of the ps table has been printed.
    legend_shown: bool,
    /// `--from N`: the steps before N print nothing but a failure.
    muted: bool,
    /// The terminal's width, when known (COLUMNS, or the terminal itself): narrations are
    /// rewrapped to it and longer lines cut, so a step fits a projector's 80 columns.
    width: Option<usize>,
    /// The run's folder (`{tmp}`), which stable mode writes as STABLE_RUN_DIR.
    run_dir: String,
}

/// The run's folder as stable mode writes it, whatever the pid: as long as the real name.
const STABLE_RUN_DIR: &str = "/tmp/unp-lab.NNNNNNN";

/// The placeholders of stable mode.
#[derive(Default)]
struct Stable {
    pids: HashMap<i32, String>,
    ports: HashMap<u16, String>,
    /// Socket and pipe inodes: n1, n2, ...
    nodes: HashMap<u64, String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    New,
    Gone,
    Changed,
    Same,
}

impl<W: Write> Printer<W> {
    /// Colour when `color`; placeholders when `stable`.
    pub fn new(out: W, color: bool, stable: bool, port: u16) -> Printer<W> {
        let stable = stable.then(Stable::default);
        let mut p = Printer {
            out,
            color,
            stable,
            prev: Snapshot::default(),
            port,
            hosts: false,
            legend_shown: false,
            muted: false,
            width: None,
            run_dir: crate::play::run_dir().to_string_lossy().into_owned(),
        };
        p.pid(std::process::id() as i32); // the runner is p0
        p
    }

    /// A printer for standard output, coloured as `choice` and the conventions say.
    pub fn stdout(stable: bool, port: u16, choice: ColorChoice) -> Printer<std::io::Stdout> {
        let mut p = Printer::new(std::io::stdout(), term::wants_colour(choice), stable, port);
        // A transcript for the notes must not depend on the terminal it was made in.
        if !stable {
            p.width = term::width();
        }
        p
    }

    /// `line` cut to the width, with `…` where it was cut.
    fn fit(&self, line: &str) -> String {
        match self.width {
            Some(w) if line.chars().count() > w => {
                let kept: String = line.chars().take(w.saturating_sub(1)).collect();
                format!("{kept}…")
            }
            _ => line.to_string(),
        }
    }

    /// The width lines are fitted to, if known.
    pub fn width(&self) -> Option<usize> {
        self.width
    }

    /// Print nothing of the steps that follow but their failures, until unmuted.
    pub fn mute(&mut self, on: bool) {
        self.muted = on;
    }

    /// Show a HOST column in both tables (for runs with several hosts).
    pub fn show_hosts(&mut self, on: bool) {
        self.hosts = on;
    }

    /// The packets of the step, one line each (tcpdump's format or a diagram's rows).
    pub fn packets(&mut self, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(self.out);
        for line in lines {
            let text = self.text(line);
            let line = self.fit(&format!("  {text}"));
            let _ = writeln!(self.out, "{line}");
        }
    }

    pub fn line(&mut self, text: &str) {
        let text: Vec<String> = text.lines().map(|l| self.fit(l)).collect();
        let _ = writeln!(self.out, "{}", text.join("\n"));
    }

    pub fn step_header(&mut self, n: usize, total: usize, say: &str) {
        let head = self.paint(palette::HEADING, &format!("── Step {n}/{total} ──"));
        let _ = writeln!(self.out, "\n{head}");
        let lines = match self.width {
            Some(w) => rewrap(say, w),
            None => say.lines().map(String::from).collect(),
        };
        for line in lines {
            let _ = writeln!(self.out, "{line}");
        }
    }

    /// An action the runner takes; `pids` are shown in `whom` as `name, pid N`.
    pub fn action(&mut self, what: &str, whom: Option<(&str, i32)>) {
        if self.muted {
            return;
        }
        let what = self.text(what);
        match whom {
            None => {
                let line = self.fit(&format!("  {what}"));
                let _ = writeln!(self.out, "{line}");
            }
            Some((name, pid)) => {
                let pid = self.pid(pid);
                let line = self.fit(&format!("  {what}    [{name}, pid {pid}]"));
                let _ = writeln!(self.out, "{line}");
            }
        }
    }

    /// `kill -SIG pid...` for the pids given.
    pub fn kill(&mut self, signal: &str, pids: &[i32], whom: &str) {
        if self.muted {
            return;
        }
        let list: Vec<String> = pids.iter().map(|&p| self.pid(p)).collect();
        let _ = writeln!(
            self.out,
            "  $ kill -{signal} {}    [{whom}]",
            list.join(" ")
        );
    }

    /// What the programs printed during the step, each line labelled by who printed it.
    pub fn output(&mut self, lines: &[Line]) {
        if lines.is_empty() {
            return;
        }
        let width = lines.iter().map(|l| l.who.len()).max().unwrap_or(0);
        let _ = writeln!(self.out);
        // A batch of a thousand echoes would bury the tables: of each program's lines, show
        // the first and the last few.
        // Notes (how a program ended) are always shown: the reaping may be logged before the
        // program's last lines are read from its pipe, and must not fall among the elided.
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for l in lines {
            let total = lines.iter().filter(|m| m.who == l.who && !m.note).count();
            let n = seen.entry(&l.who).or_default();
            if !l.note {
                *n += 1;
            }
            let middle = *n > MAX_OUTPUT / 2 && *n <= total.saturating_sub(MAX_OUTPUT / 2);
            if !l.note && total > MAX_OUTPUT && middle {
                if *n == MAX_OUTPUT / 2 + 1 {
                    let more = total - MAX_OUTPUT;
                    let _ = writeln!(self.out, "  {:>width$} .. ({more} more lines)", l.who);
                }
                continue;
            }
            let sep = if l.note {
                "**"
            } else if l.stderr {
                "!>"
            } else {
                "| "
            };
            let text = self.text(&l.text);
            let line = self.fit(&format!("  {:>width$} {sep} {text}", l.who));
            let _ = writeln!(self.out, "{line}");
        }
    }

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

    /// Take this state as the one the next step's marks compare with, without printing it.
    pub fn remember(&mut self, snap: &Snapshot) {
        self.prev = snap.clone();
    }

    /// Both tables, marked against the previous step's, which this one then replaces.
    pub fn state(&mut self, snap: &Snapshot) {
        let prev = std::mem::replace(&mut self.prev, snap.clone());
        self.processes(snap, &prev);
        self.sockets(snap, &prev);
        if !snap.unix.is_empty() || !prev.unix.is_empty() {
            self.unix(snap, &prev);
        }
    }

    fn processes(&mut self, snap: &Snapshot, prev: &Snapshot) {
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
            self.table(&rows);
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

    fn sockets(&mut self, snap: &Snapshot, prev: &Snapshot) {
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
        let _ = writeln!(self.out);
        // With Unix sockets only, their table follows: "no socket" would say otherwise.
        let unix = !snap.unix.is_empty() || !prev.unix.is_empty();
        if rows.len() == 1 && old_time_waits == 0 && !unix {
            let _ = writeln!(self.out, "  (no socket to show)");
        } else if rows.len() > 1 {
            self.table(&rows);
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
            self.table(&rows);
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
        self.table(&rows);
    }

    /// Unix-domain sockets, in netstat -x's terms, with the inode of each one's peer; marked
    /// against the previous step's like the other tables.
    fn unix(&mut self, snap: &Snapshot, prev: &Snapshot) {
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
        self.table(&rows);
    }

    pub fn check(&mut self, ok: bool, what: &str) {
        if self.muted && ok {
            return;
        }
        let what = self.text(what);
        // A failure is never cut: it says what was expected and seen.
        let line = if ok {
            let line = self.fit(&format!("  ✓ {what}"));
            self.paint(palette::NEW, &line)
        } else {
            self.paint(palette::GONE, &format!("  ✗ {what}"))
        };
        let _ = writeln!(self.out, "{line}");
    }

    /// The closing line of a run; its timing is a placeholder in stable mode.
    pub fn summary(&mut self, ok: bool, text: &str, secs: f64) {
        let secs = if self.stable.is_some() {
            "N.NN".to_string()
        } else {
            format!("{secs:.2}")
        };
        let text = text.replace("{secs}", &secs);
        let line = if ok {
            self.paint(palette::NEW, &text)
        } else {
            self.paint(palette::GONE, &text)
        };
        let _ = writeln!(self.out, "\n{line}");
    }

    /// Left-aligned columns, two spaces apart, after the mark column. The first column is the
    /// host, shown only when the run has several.
    fn table<const N: usize>(&mut self, rows: &[(Mark, [String; N])]) {
        let skip = usize::from(!self.hosts);
        let mut widths = [0; N];
        for (_, row) in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        // Two spaces between columns, or one where two would not fit the terminal.
        let total: usize = widths[skip..].iter().sum::<usize>() + 3 + 2 * (N - skip - 1);
        let gap = if self.width.is_some_and(|w| total > w) {
            1
        } else {
            2
        };
        for (i, (mark, row)) in rows.iter().enumerate() {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate().skip(skip) {
                line.push_str(cell);
                if c + 1 < N {
                    line.push_str(&" ".repeat(widths[c] - cell.chars().count() + gap));
                }
            }
            let (sign, colour) = match mark {
                Mark::New => ("+", palette::NEW),
                Mark::Gone => ("-", palette::GONE),
                Mark::Changed => ("~", palette::CHANGED),
                Mark::Same if i == 0 => (" ", palette::HEADING),
                Mark::Same => (" ", Style::new()),
            };
            let line = self.fit(&format!(" {sign} {line}"));
            let line = self.paint(colour, &line);
            let _ = writeln!(self.out, "{line}");
        }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        term::paint(self.color, style, text)
    }

    fn pid(&mut self, pid: i32) -> String {
        match &mut self.stable {
            None => pid.to_string(),
            Some(s) => {
                let n = s.pids.len();
                s.pids.entry(pid).or_insert_with(|| format!("p{n}")).clone()
            }
        }
    }

    /// An inode (lsof's NODE), as a placeholder in stable mode; `-` for none.
    fn node(&mut self, node: u64) -> String {
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

    fn port(&mut self, port: u16) -> String {
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
    fn paths(&self, text: &str) -> String {
        match self.stable {
            Some(_) => text.replace(&self.run_dir, STABLE_RUN_DIR),
            None => text.to_string(),
        }
    }

    /// Free text with the run's numbers in it: in stable mode, replace the pids already seen
    /// and the scenario's port.
    fn text(&mut self, text: &str) -> String {
        let Some(s) = &self.stable else {
            return text.to_string();
        };
        let text = &text.replace(&self.run_dir, STABLE_RUN_DIR);
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

/// A narration's paragraphs (blank-line separated) refilled to `width` columns.
fn rewrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    for (i, para) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.push(String::new());
        }
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out
}

impl Printer<Vec<u8>> {
    /// What has been printed since the last call, for a caller that draws it itself.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}

/// Pair this step's rows with the previous step's by `key`: each current row marked new,
/// changed or the same, followed by the rows that are gone.
fn marked<'a, T, K: PartialEq>(
    now: &'a [T],
    before: &'a [T],
    key: impl Fn(&T) -> K,
    changed: impl Fn(&T, &T) -> bool,
) -> Vec<(Mark, &'a T)> {
    let mut rows: Vec<(Mark, &T)> = now
        .iter()
        .map(|row| match before.iter().find(|b| key(b) == key(row)) {
            None => (Mark::New, row),
            Some(b) if changed(b, row) => (Mark::Changed, row),
            Some(_) => (Mark::Same, row),
        })
        .collect();
    rows.extend(
        before
            .iter()
            .filter(|b| !now.iter().any(|r| key(r) == key(b)))
            .map(|b| (Mark::Gone, b)),
    );
    rows
}

/// The connection's port that is not the server's (the client's ephemeral port).
fn ephemeral(s: &SockRow, server_port: u16) -> u16 {
    if s.local.port() == server_port {
        s.foreign.port()
    } else {
        s.local.port()
    }
}
