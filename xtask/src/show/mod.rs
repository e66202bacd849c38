//! How the runner prints: step headers, program output, the ps and netstat tables with what
//! changed since the previous step, and the checks.
//!
//! Everything reads as plain text, so that a transcript pasted into a note or a chat says the
//! same: a row's first column is `+` (new since the previous step), `-` (gone; shown once more),
//! `~` (its STAT or TCP state changed) or blank. Colour is added as [`term`] decides.
//!
//! In stable mode (for the course notes) the run's numbers are placeholders (stable.rs), and
//! timings N.NN, so that a transcript does not change from run to run.

mod processes;
mod sockets;
mod stable;
mod table;
pub mod term;
mod views;
mod wrap;

use std::collections::HashMap;
use std::io::Write;

use anstyle::Style;

use crate::kernel::Snapshot;
use crate::supervise::Line;
use stable::Stable;
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
    /// Whether the lesson has servers, so that an empty socket table is news.
    servers: bool,
    /// Whether the `*` legend of the ps table has been printed.
    legend_shown: bool,
    /// `--from N`: the steps before N print nothing but a failure.
    muted: bool,
    /// The terminal's width, when known (COLUMNS, or the terminal itself): narrations are
    /// rewrapped to it and longer lines cut, so a step fits a projector's 80 columns.
    width: Option<usize>,
    /// The run's folder (`{tmp}`), which stable mode writes as STABLE_RUN_DIR.
    run_dir: Option<String>,
}

/// The file in a run's folder that says which step the run shows (`3/7`), for `watch --run`.
pub fn step_file(run_dir: &std::path::Path) -> std::path::PathBuf {
    run_dir.join(".step")
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
            servers: true,
            legend_shown: false,
            muted: false,
            width: None,
            run_dir: None,
        };
        p.pid(std::process::id() as i32); // the runner is p0
        p
    }

    /// A printer for standard output, coloured as `choice` and the conventions say, paged at
    /// the terminal's height when `paged` (`--step`).
    pub fn stdout(
        stable: bool,
        port: u16,
        choice: ColorChoice,
        paged: bool,
    ) -> Printer<term::Paged> {
        let out = term::Paged::stdout(paged && !stable);
        let mut p = Printer::new(out, term::wants_colour(choice), stable, port);
        // A transcript for the notes must not depend on the terminal it was made in.
        if !stable {
            p.width = term::width();
        }
        p
    }

    /// The run's folder (`{tmp}`), which stable mode writes as a placeholder of the same length.
    pub fn run_dir(&mut self, dir: &std::path::Path) {
        self.run_dir = Some(dir.to_string_lossy().into_owned());
    }

    /// Fit lines to `width` columns (none: never cut), as [`term::width`] finds it.
    pub fn fit_to(&mut self, width: Option<usize>) {
        self.width = width;
    }

    /// The width lines are fitted to, if known.
    pub fn width(&self) -> Option<usize> {
        self.width
    }

    /// Print nothing of the steps that follow but their failures, until unmuted.
    pub fn mute(&mut self, on: bool) {
        self.muted = on;
    }

    /// Whether the lesson has servers (a port): without, an empty socket table says nothing.
    pub fn has_servers(&mut self, on: bool) {
        self.servers = on;
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

    /// More of the step's packets, after those already shown (while the step waits).
    pub fn more_packets(&mut self, lines: &[String]) {
        for line in lines {
            let text = self.text(line);
            let line = self.fit(&format!("  {text}"));
            let _ = writeln!(self.out, "{line}");
        }
        let _ = self.out.flush();
    }

    pub fn line(&mut self, text: &str) {
        let text: Vec<String> = text.lines().map(|l| self.fit(l)).collect();
        let _ = writeln!(self.out, "{}", text.join("\n"));
    }

    pub fn step_header(&mut self, n: usize, total: usize, say: &str) {
        // `watch --run` reads which step the run shows here. The folder goes with the run.
        if let Some(dir) = &self.run_dir {
            let dir = std::path::Path::new(dir);
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(step_file(dir), format!("{n}/{total}\n"));
        }
        term::new_page();
        let head = self.paint(palette::HEADING, &format!("── Step {n}/{total} ──"));
        let _ = writeln!(self.out, "\n{head}");
        let lines = match self.width {
            Some(w) => wrap::rewrap(say, w),
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

    fn paint(&self, style: Style, text: &str) -> String {
        term::paint(self.color, style, text)
    }
}

impl Printer<Vec<u8>> {
    /// What has been printed since the last call, for a caller that draws it itself.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}
