//! How figures are written: in a few characters with their unit, ratios as fractions when
//! small, cells in a grid of at most 100 columns, long lines folded.

use super::{METRICS, Network, Unit};
use crate::args::Plan;

pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// On what the numbers were measured, in one line.
pub fn machine_line(network: Network, p: &Plan) -> String {
    let client = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let quick = if p.quick { " --quick" } else { "" };
    let network = match network {
        Network::Namespaces => "Each server in a network namespace of its own",
        Network::Loopback => "Every server on this machine's 127.0.0.1",
    };
    format!(
        "Measured with `cargo xtask bench{quick}` on {} CPUs, Linux {}.\n{network}; servers \
         built in release, the load client a {client} build.",
        cpus(),
        kernel(),
    )
}

/// `first` then `text`, folded at spaces to fit 100 columns, the lines after the first
/// indented as far as `first` is long.
pub fn wrap(first: &str, text: &str) -> String {
    let indent = first.chars().count();
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split(' ') {
        if !empty && line.chars().count() + 1 + word.chars().count() > 100 {
            out += &line;
            out += "\n";
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line += word;
        empty = false;
    }
    out + &line + "\n"
}

/// A metric's heading in two lines: `conn/s` over `50`, or nothing over `held`.
pub fn heading(m: usize, n: usize) -> (String, String) {
    let h = METRICS[m].heading.replace(" N", &format!(" {n}"));
    match h.rsplit_once(' ') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (String::new(), h),
    }
}

/// Rows of cells as a table: the first column left-aligned, the others right-aligned, each as
/// wide as its widest cell, two spaces apart (one where two would pass 100 columns). A row
/// with fewer cells (a design not built yet) runs its last cell on freely.
pub fn grid(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            let rows = rows.iter().filter(|r| i == 0 || r.len() == cols);
            rows.map(|r| r[i].chars().count()).max().unwrap_or(0)
        })
        .collect();
    let gap = if widths.iter().sum::<usize>() + 2 * cols > 100 {
        1
    } else {
        2
    };
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let w = widths[i];
            if i == 0 {
                line += &format!("{cell:<w$}");
            } else if row.len() < cols && i == row.len() - 1 {
                line += &format!("{:gap$}{cell}", "");
            } else {
                line += &format!("{:gap$}{cell:>w$}", "");
            }
        }
        out += line.trim_end();
        out += "\n";
    }
    out
}

/// A figure in at most 8 characters, with its unit.
pub fn show(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Count if v >= 1e6 => format!("{:.2}M", v / 1e6),
        Unit::Count if v >= 1e4 => format!("{:.1}k", v / 1e3),
        Unit::Count => format!("{v:.0}"),
        Unit::MBps => format!("{v:.0}"),
        Unit::Micros if v >= 1e4 => format!("{:.1}ms", v / 1e3),
        Unit::Micros if v >= 1e3 => format!("{:.2}ms", v / 1e3),
        Unit::Micros => format!("{v:.0}µs"),
        Unit::Bytes if v >= 1e9 => format!("{:.2}GiB", v / (1u64 << 30) as f64),
        Unit::Bytes if v >= 1e6 => format!("{:.1}MiB", v / (1u64 << 20) as f64),
        Unit::Bytes => format!("{:.0}KiB", v / 1024.0),
    }
}

/// A ratio in a few characters: 12, 3.4, 0.56; or, when `small`, 1/33 (one process against
/// a thousand reads better as 1/1000 than as 0.001).
pub fn ratio(v: f64, small: bool) -> String {
    match v {
        v if small && v > 0.0 && v < 1.0 => format!("1/{:.0}", 1.0 / v),
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    }
}
