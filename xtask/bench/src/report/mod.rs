//! What a bench run found, and how to show it: the figures of each run of each design, their
//! median over the rounds, their ratio to the fork server's in the same round, and for a C
//! server beside its Rust counterpart, Rust's figure over C's. Shown as a table
//! ([`table`]) or as JSON ([`json`]).

mod format;
mod json;
mod table;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::args::Plan;
use crate::design::{self, BASE, Design};
use crate::load::Errors;

/// The figures each run of a design gives: a key (for JSON), a column heading, and a unit.
pub struct Metric {
    pub key: &'static str,
    pub heading: &'static str,
    pub unit: Unit,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Unit {
    /// A rate or a count: 12.3k.
    Count,
    /// Megabytes (10^6 bytes) a second.
    MBps,
    /// Microseconds.
    Micros,
    /// Bytes of memory.
    Bytes,
}

pub const CONN_1: usize = 0;
pub const CONN_N: usize = 1;
pub const MB_1: usize = 2;
pub const MB_N: usize = 3;
pub const RTT_50: usize = 4;
pub const RTT_99: usize = 5;
pub const HELD: usize = 6;
pub const CPU: usize = 7;
pub const PROCS: usize = 8;
pub const MEM: usize = 9;
pub const M: usize = 10;

pub const METRICS: [Metric; M] = [
    metric("conn_per_s_1", "conn/s 1", Unit::Count),
    metric("conn_per_s_n", "conn/s N", Unit::Count),
    metric("mb_per_s_1", "MB/s 1", Unit::MBps),
    metric("mb_per_s_n", "MB/s N", Unit::MBps),
    metric("rtt_p50_us", "RTT p50", Unit::Micros),
    metric("rtt_p99_us", "RTT p99", Unit::Micros),
    metric("held", "held", Unit::Count),
    metric("cpu_us_per_conn", "CPU/conn", Unit::Micros),
    metric("procs_peak", "procs", Unit::Count),
    metric("memory_peak_bytes", "memory", Unit::Bytes),
];

const fn metric(key: &'static str, heading: &'static str, unit: Unit) -> Metric {
    Metric { key, heading, unit }
}

/// Where the servers ran.
#[derive(Clone, Copy, PartialEq)]
pub enum Network {
    /// Each run of a design in a network namespace of its own.
    Namespaces,
    /// This machine's loopback.
    Loopback,
}

impl Network {
    pub fn words(self) -> &'static str {
        match self {
            Network::Namespaces => "each server in a network namespace of its own (loopback only)",
            Network::Loopback => "on this machine's 127.0.0.1",
        }
    }
}

/// Everything one run of one design gave.
#[derive(Clone, Default)]
pub struct RunResult {
    pub values: [Option<f64>; M],
    /// What stopped the "held" phase.
    pub held_stop: Option<String>,
    /// Errors of each phase, by phase name.
    pub errors: Vec<(&'static str, Errors)>,
    /// Why the run could not be completed (the server did not start, or ended).
    pub failure: Option<String>,
}

/// Everything a bench run found.
pub struct Report {
    pub plan: Plan,
    pub network: Network,
    pub designs: Vec<Design>,
    /// results[design][round].
    pub results: Vec<Vec<Option<RunResult>>>,
    pub seconds: f64,
}

/// The median, the smallest and the largest of some values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[mid]
        } else {
            (v[mid - 1] + v[mid]) / 2.0
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[v.len() - 1],
        })
    }
}

/// The figures a Rust/C comparison shows: the rates and the typical round trip.
pub const VERSUS: [usize; 5] = [CONN_1, CONN_N, MB_1, MB_N, RTT_50];

impl Report {
    fn base(&self) -> usize {
        self.designs
            .iter()
            .position(|d| d.name == BASE)
            .unwrap_or(0)
    }

    pub fn all_runs(&self) -> impl Iterator<Item = &RunResult> {
        self.results.iter().flatten().flatten()
    }

    pub fn all_errors(&self) -> impl Iterator<Item = &Errors> {
        self.all_runs()
            .flat_map(|r| r.errors.iter().map(|(_, e)| e))
    }

    /// A design's metric over the rounds.
    fn spread(&self, d: usize, m: usize) -> Option<Spread> {
        Spread::of(self.results[d].iter().flatten().filter_map(|r| r.values[m]))
    }

    /// Design `d`'s metric divided by design `by`'s in the same round, over the rounds.
    fn ratio_to(&self, d: usize, by: usize, m: usize) -> Option<Spread> {
        let base = &self.results[by];
        Spread::of(self.results[d].iter().zip(base).filter_map(|(r, b)| {
            let (v, b) = (r.as_ref()?.values[m]?, b.as_ref()?.values[m]?);
            (b != 0.0).then_some(v / b)
        }))
    }

    /// The design's metric divided by the fork server's in the same round, over the rounds.
    fn ratio(&self, d: usize, m: usize) -> Option<Spread> {
        self.ratio_to(d, self.base(), m)
    }

    /// Each C row with its Rust counterpart: (the Rust row, the C row).
    fn pairs(&self) -> Vec<(usize, usize)> {
        (0..self.designs.len())
            .filter_map(|c| Some((design::counterpart(&self.designs, c)?, c)))
            .collect()
    }

    /// A design's errors, phase by phase, summed over the rounds.
    fn errors(&self, d: usize) -> BTreeMap<usize, (&'static str, Errors)> {
        let mut by_phase: BTreeMap<usize, (&'static str, Errors)> = BTreeMap::new();
        for r in self.results[d].iter().flatten() {
            for (i, (phase, e)) in r.errors.iter().enumerate() {
                by_phase
                    .entry(i)
                    .or_insert((phase, Errors::default()))
                    .1
                    .merge(e.clone());
            }
        }
        by_phase
    }
}
