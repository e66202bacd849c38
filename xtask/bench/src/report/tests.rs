//! The report: a run with designs missing and a C server beside its Rust counterpart prints
//! within 100 columns, and its JSON parses with every figure where a script looks for it.

use std::path::PathBuf;

use clap::Parser;

use super::format::{ratio, wrap};
use super::json::{Json, phase_key};
use super::*;
use crate::args::Args;
use crate::design::{Design, Start};
use crate::load::{Failure, Kind};

/// A round whose every figure is its metric's index plus one, with two timeouts.
fn a_run() -> RunResult {
    let mut run = RunResult::default();
    for (m, v) in run.values.iter_mut().enumerate() {
        *v = Some(m as f64 + 1.0);
    }
    run.held_stop = Some("the cap (1100)".into());
    let mut e = Errors::default();
    e.add(Failure::new(Kind::Timeout, "read: \"no\" answer".into()));
    run.errors.push(("MB/s N", e));
    run
}

fn a_report() -> Report {
    let args = Args::try_parse_from(["bench", "--quick", "--json", "--rounds", "2"]).expect("args");
    let mut designs = design::course();
    for (d, package) in designs.iter_mut().zip([Some("a"), Some("b"), None, None]) {
        d.start = Start::Workspace {
            package: package.map(String::from),
        };
    }
    let c = |name: &str, path: &str| Design::path(name, PathBuf::from(path));
    designs.push(c("tcpserv04-c", "/tmp/c/tcpserv04"));
    // The longest names --server takes, with ratios of three figures in every cell.
    designs.push(c("a-name-of-24-characters.", "/tmp/a"));
    designs.push(c("a-name-of-24-characters.-c", "/tmp/b"));
    let run = a_run();
    let mut faster = a_run();
    faster.values[CONN_1] = Some(2.0);
    Report {
        plan: Plan::new(&args),
        network: Network::Loopback,
        designs,
        results: vec![
            vec![Some(run.clone()), Some(run.clone())],
            vec![Some(run.clone()), Some(run.clone())],
            vec![None, None],
            vec![None, None],
            vec![Some(faster.clone()), Some(run.clone())],
            vec![Some(run.clone()), Some(faster.clone())],
            vec![Some(faster), Some(run)],
        ],
        seconds: 1.0,
    }
}

#[test]
fn a_report_with_missing_designs_prints_within_100_columns() {
    let table = a_report().table();
    assert!(table.contains("not built yet: tcpservselect01"), "{table}");
    assert!(table.contains("MB/s 50: 2 timeouts"), "{table}");
    assert!(table.contains("fork / tcpserv04-c"), "{table}");
    assert!(table.contains("a-name-of-24-characters. / a-"), "{table}");
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
    let folded = wrap("  poll      ", &"word ".repeat(40));
    assert!(folded.lines().count() > 1, "{folded}");
    assert!(folded.lines().all(|l| l.chars().count() <= 100), "{folded}");
    let second = folded.lines().nth(1).unwrap_or("");
    assert!(second.starts_with("            word"), "{folded}");
}

#[test]
fn a_report_parses_as_json_with_its_figures() {
    assert_eq!(phase_key("conn/s N"), "conn_n");
    let json = serde_json::from_str::<Json>(&a_report().json().to_string())
        .expect("the report's JSON parses");
    let Some(Json::Array(designs)) = json.get("designs") else {
        panic!("no designs in {json:?}");
    };
    assert_eq!(designs.len(), 7);
    assert_eq!(designs[2].get("built"), Some(&Json::Bool(false)));
    assert_eq!(
        designs[4].get("path"),
        Some(&Json::from("/tmp/c/tcpserv04"))
    );
    let first_round = match designs[0].get("rounds") {
        Some(Json::Array(rounds)) => rounds.first(),
        _ => None,
    };
    let timeouts = first_round.and_then(|r| r.get("errors")?.get("mb_n")?.get("timeout"));
    assert_eq!(timeouts, Some(&Json::from(1.0)));
    let to_fork = designs[0].pointer("/summary/held/ratio_to_fork/median");
    assert_eq!(to_fork, Some(&Json::from(1.0)));
    // Rust 1 against C 2 in the first round, 1 against 1 in the second: the median is 0.75.
    let versus = json.pointer("/rust_over_c/0/ratios/conn_per_s_1/median");
    assert_eq!(versus, Some(&Json::from(0.75)));
    assert_eq!(
        json.pointer("/rust_over_c/0/rust"),
        Some(&Json::from("fork"))
    );
}

#[test]
fn small_ratios_read_as_fractions() {
    assert_eq!(ratio(0.0005, true), "1/2000");
    assert_eq!(ratio(0.083, false), "0.08");
    assert_eq!(ratio(12.34, false), "12.3");
    assert_eq!(ratio(1.5, true), "1.50");
}

#[test]
fn spreads_are_median_smallest_largest() {
    let s = Spread::of([3.0, 1.0, 2.0, 10.0]).expect("values");
    assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 10.0));
    assert_eq!(Spread::of([f64::NAN]), None);
}
