//! The report as JSON for scripts: the plan, the machine, each metric's key and unit, and for
//! each design every round's figures and errors with the summary over the rounds; and for
//! each C server beside its Rust counterpart, Rust over C.

use super::format::{cpus, kernel, machine_line};
use super::{M, METRICS, Network, Report, RunResult, Spread, Unit, VERSUS};
use crate::design::{BASE, Start};
use crate::load::{Errors, KINDS};

/// The report's JSON is serde_json's; these build its values as the report needs them.
pub type Json = serde_json::Value;

fn jstr(s: &str) -> Json {
    Json::String(s.to_string())
}

/// A number; NaN and infinity, which JSON cannot write, become null (as serde_json does).
fn jnum(v: f64) -> Json {
    Json::from(v)
}

fn jopt_str(s: Option<&str>) -> Json {
    s.map_or(Json::Null, jstr)
}

fn jobj<const K: usize>(fields: [(&str, Json); K]) -> Json {
    Json::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn spread(s: Option<Spread>) -> Json {
    match s {
        None => Json::Null,
        Some(s) => jobj([
            ("median", jnum(s.median)),
            ("min", jnum(s.min)),
            ("max", jnum(s.max)),
        ]),
    }
}

impl Report {
    pub fn json(&self) -> Json {
        let p = &self.plan;
        let metrics = METRICS
            .iter()
            .map(|m| {
                let unit = match m.unit {
                    Unit::Count => "count",
                    Unit::MBps => "MB/s",
                    Unit::Micros => "us",
                    Unit::Bytes => "bytes",
                };
                jobj([
                    ("key", jstr(m.key)),
                    ("heading", jstr(m.heading)),
                    ("unit", jstr(unit)),
                ])
            })
            .collect();
        let designs = (0..self.designs.len())
            .map(|d| self.design_json(d))
            .collect();
        let network = match self.network {
            Network::Namespaces => "namespace",
            Network::Loopback => "loopback",
        };
        jobj([
            ("bench", jstr("unp-lab server designs (UNP Figure 30.1)")),
            ("quick", Json::Bool(p.quick)),
            ("rounds", jnum(p.rounds as f64)),
            ("clients", jnum(p.clients as f64)),
            ("phase_seconds", jnum(p.phase.as_secs_f64())),
            ("timeout_seconds", jnum(p.timeout.as_secs_f64())),
            ("held_cap", jnum(p.held_cap as f64)),
            ("machine", jstr(&machine_line(self.network, p))),
            ("cpus", jnum(cpus() as f64)),
            ("kernel", jstr(&kernel())),
            ("network", jstr(network)),
            ("base", jstr(BASE)),
            ("seconds", jnum(self.seconds)),
            ("metrics", Json::Array(metrics)),
            ("designs", Json::Array(designs)),
            ("rust_over_c", Json::Array(self.versus_json())),
        ])
    }

    fn design_json(&self, d: usize) -> Json {
        let design = &self.designs[d];
        let rounds = self.results[d]
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some(round_json(i, r.as_ref()?)))
            .collect();
        let summary = Json::Object(
            (0..M)
                .map(|m| {
                    let s = jobj([
                        ("value", spread(self.spread(d, m))),
                        ("ratio_to_fork", spread(self.ratio(d, m))),
                    ]);
                    (METRICS[m].key.to_string(), s)
                })
                .collect(),
        );
        let path = match &design.start {
            Start::Path(p) => Json::String(p.display().to_string()),
            Start::Workspace { .. } => Json::Null,
        };
        let note = match design.built() {
            true => Json::Null,
            false => jstr("not built yet: not in this workspace"),
        };
        jobj([
            ("name", jstr(&design.name)),
            ("program", jstr(&design.program)),
            ("book", jstr(&design.book)),
            ("package", jopt_str(design.package())),
            ("path", path),
            ("built", Json::Bool(design.built())),
            ("note", note),
            ("rounds", Json::Array(rounds)),
            ("summary", summary),
        ])
    }

    /// Rust over C: for each pair, each compared metric's median, smallest and largest.
    fn versus_json(&self) -> Vec<Json> {
        self.pairs()
            .into_iter()
            .map(|(rust, c)| {
                let ratios = VERSUS
                    .iter()
                    .map(|&m| {
                        (
                            METRICS[m].key.to_string(),
                            spread(self.ratio_to(rust, c, m)),
                        )
                    })
                    .collect();
                jobj([
                    ("rust", jstr(&self.designs[rust].name)),
                    ("c", jstr(&self.designs[c].name)),
                    ("ratios", Json::Object(ratios)),
                ])
            })
            .collect()
    }
}

fn round_json(i: usize, r: &RunResult) -> Json {
    let values = Json::Object(
        (0..M)
            .map(|m| {
                (
                    METRICS[m].key.to_string(),
                    r.values[m].map_or(Json::Null, jnum),
                )
            })
            .collect(),
    );
    let errors = Json::Object(
        r.errors
            .iter()
            .map(|(phase, e)| (phase_key(phase), errors_json(e)))
            .collect(),
    );
    jobj([
        ("round", jnum((i + 1) as f64)),
        ("values", values),
        ("held_stopped_by", jopt_str(r.held_stop.as_deref())),
        ("errors", errors),
        ("failure", jopt_str(r.failure.as_deref())),
    ])
}

/// A phase's key in the JSON: `conn/s N` is `conn_n`, `MB/s 1` is `mb_1`, `RTT` is `rtt`.
pub fn phase_key(phase: &str) -> String {
    phase
        .to_lowercase()
        .replace("conn/s", "conn")
        .replace("mb/s", "mb")
        .replace(' ', "_")
}

fn errors_json(e: &Errors) -> Json {
    let mut fields: Vec<(String, Json)> = vec![("total".into(), jnum(e.total() as f64))];
    for (k, key, ..) in KINDS {
        fields.push((key.into(), jnum(e.count[k as usize] as f64)));
    }
    fields.push(("first".into(), jopt_str(e.first.as_deref())));
    Json::Object(fields.into_iter().collect())
}
