//! The report as a table for a person: the medians, the ratios to fork, Rust over C where a C
//! server ran beside its Rust counterpart, what stopped the held column, and every error.

use super::format::{grid, heading, machine_line, ratio, show, wrap};
use super::{CONN_1, CONN_N, CPU, HELD, M, MB_1, MB_N, MEM, METRICS, PROCS, RTT_50, RTT_99};
use super::{Report, Spread, VERSUS};
use crate::load::KINDS;

impl Report {
    pub fn table(&self) -> String {
        let n = self.plan.clients;
        let rounds = self.results[self.base()].iter().flatten().count();
        let rounds = if rounds == 1 {
            "1 round".to_string()
        } else {
            format!("{rounds} rounds")
        };
        let mut out =
            format!("Server designs side by side (UNP Figure 30.1): {rounds}, N = {n} clients.\n");
        out += &format!("{}\n\n", machine_line(self.network, &self.plan));
        out += "Measured (the median over the rounds):\n";
        let all: Vec<usize> = (0..M).collect();
        let measured = |d: usize, m: usize| match self.spread(d, m) {
            Some(s) => show(s.median, METRICS[m].unit),
            None => "-".into(),
        };
        out += &grid(&self.rows(&measured, &all));
        out +=
            "\nRatio to fork in the same round: the median over the rounds (smallest-largest):\n";
        let ratios = |d: usize, m: usize| match self.ratio(d, m) {
            None => "-".to_string(),
            Some(_) if d == self.base() => "1".to_string(),
            Some(s) => spread_cell(s),
        };
        for group in [
            &[CONN_1, CONN_N, MB_1, MB_N][..],
            &[RTT_50, RTT_99, HELD][..],
            &[CPU, PROCS, MEM][..],
        ] {
            out += &grid(&self.rows(&ratios, group));
            out += "\n";
        }
        out += &self.versus();
        out += &self.held_stops();
        out += &self.error_lines();
        out += &legend(n);
        out
    }

    /// The rows of a grid: two heading lines, then a row per design with `cell(d, m)` for
    /// each metric of `cols`.
    fn rows(&self, cell: &dyn Fn(usize, usize) -> String, cols: &[usize]) -> Vec<Vec<String>> {
        let n = self.plan.clients;
        let top: Vec<String> = cols.iter().map(|&m| heading(m, n).0).collect();
        let mut rows = Vec::new();
        if top.iter().any(|h| !h.is_empty()) {
            rows.push(std::iter::once(String::new()).chain(top).collect());
        }
        rows.push(
            std::iter::once("design".to_string())
                .chain(cols.iter().map(|&m| heading(m, n).1))
                .collect(),
        );
        for (d, design) in self.designs.iter().enumerate() {
            let mut row = vec![design.name.clone()];
            if design.built() {
                row.extend(cols.iter().map(|&m| cell(d, m)));
            } else {
                row.push(format!("not built yet: {} is not here", design.program));
            }
            rows.push(row);
        }
        rows
    }

    /// Rust over C, for each C server that ran beside its Rust counterpart, in two grids so
    /// that each fits 100 columns.
    fn versus(&self) -> String {
        let pairs = self.pairs();
        if pairs.is_empty() {
            return String::new();
        }
        let n = self.plan.clients;
        let mut out =
            "Rust over C in the same round, the median over the rounds (smallest-largest); \
                       above 1,\nRust has more (for RTT: Rust is slower):\n"
                .to_string();
        for group in VERSUS.chunks(3) {
            let mut rows = vec![
                std::iter::once(String::new())
                    .chain(group.iter().map(|&m| heading(m, n).0))
                    .collect(),
                std::iter::once("Rust / C".to_string())
                    .chain(group.iter().map(|&m| heading(m, n).1))
                    .collect::<Vec<_>>(),
            ];
            for &(rust, c) in &pairs {
                let mut row = vec![format!(
                    "{} / {}",
                    self.designs[rust].name, self.designs[c].name
                )];
                for &m in group {
                    row.push(self.ratio_to(rust, c, m).map_or("-".into(), spread_cell));
                }
                rows.push(row);
            }
            out += &grid(&rows);
            out += "\n";
        }
        out
    }

    /// What stopped the held column, for each design, with the rounds' counts.
    fn held_stops(&self) -> String {
        let p = &self.plan;
        let mut out = format!(
            "Most clients held at once (cap {}, {} s), and what stopped it:\n",
            p.held_cap,
            p.held_time.as_secs()
        );
        for (d, design) in self.designs.iter().enumerate() {
            let mut stops: Vec<(String, Vec<String>)> = Vec::new();
            for r in self.results[d].iter().flatten() {
                let held = r.values[HELD].map_or("-".into(), |v| format!("{v}"));
                let why = r
                    .held_stop
                    .clone()
                    .or(r.failure.clone())
                    .unwrap_or_default();
                match stops.iter_mut().find(|(w, _)| *w == why) {
                    Some((_, h)) => h.push(held),
                    None => stops.push((why, vec![held])),
                }
            }
            for (why, held) in stops {
                let text = format!("{}: {why}", held.join(", "));
                out += &wrap(&self.label(&design.name), &text);
            }
        }
        out
    }

    /// A design's name at the start of a line, as wide as the longest name and a space.
    fn label(&self, name: &str) -> String {
        let w = self
            .designs
            .iter()
            .map(|d| d.name.chars().count())
            .max()
            .unwrap_or(0)
            + 1;
        format!("  {name:<w$}")
    }

    /// Every design's errors, phase by phase, then every run that could not be completed.
    fn error_lines(&self) -> String {
        let n = self.plan.clients;
        let mut out = format!(
            "\nErrors, summed over the rounds (every byte echoed is checked; a wait over {} s \
             is a timeout):\n",
            self.plan.timeout.as_secs()
        );
        for (d, design) in self.designs.iter().enumerate() {
            if !design.built() {
                out += &format!("{}not built yet\n", self.label(&design.name));
                continue;
            }
            let phases: Vec<String> = self
                .errors(d)
                .values()
                .filter(|(_, e)| e.total() > 0)
                .map(|(phase, e)| {
                    let phase = phase.replace(" N", &format!(" {n}"));
                    let kinds: Vec<String> = KINDS
                        .iter()
                        .filter(|(k, ..)| e.count[*k as usize] > 0)
                        .map(|(k, _, one, many)| match e.count[*k as usize] {
                            1 => format!("1 {one}"),
                            c => format!("{c} {many}"),
                        })
                        .collect();
                    let first = e.first.as_deref().unwrap_or("");
                    format!("{phase}: {} (first: {first})", kinds.join(", "))
                })
                .collect();
            if phases.is_empty() {
                out += &format!("{}none\n", self.label(&design.name));
            }
            for (i, phase) in phases.iter().enumerate() {
                let name = if i == 0 { design.name.as_str() } else { "" };
                out += &wrap(&self.label(name), phase);
            }
        }
        for (d, design) in self.designs.iter().enumerate() {
            for (round, r) in self.results[d].iter().enumerate() {
                if let Some(f) = r.as_ref().and_then(|r| r.failure.as_ref()) {
                    let text = format!("round {}: {f}", round + 1);
                    out += &wrap(&self.label(&design.name), &text);
                }
            }
        }
        out
    }
}

/// A ratio's median and, when they differ, its smallest and largest: one form for the three
/// figures of a cell, chosen by the median.
fn spread_cell(s: Spread) -> String {
    let small = s.median < 0.095;
    let [med, lo, hi] = [s.median, s.min, s.max].map(|v| ratio(v, small));
    if lo == hi {
        med
    } else {
        format!("{med} ({lo}-{hi})")
    }
}

/// What each column means.
fn legend(n: usize) -> String {
    format!(
        "\nconn/s: connect, one line echoed, close; 1 client, then {n} at once. MB/s: \
         megabytes a second echoed\nover 1 connection, then {n}. RTT: one line's round \
         trip on one connection. CPU/conn: the server's\nCPU time (its own and its reaped \
         children's) per connection of the conn/s phases. procs,\nmemory: the peaks of \
         the server's processes and their summed Pss.\n"
    )
}
