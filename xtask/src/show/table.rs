//! The tables' common form: left-aligned columns after a mark column that says what changed
//! since the previous step (`+` new, `-` gone, `~` changed, blank the same).

use std::io::Write;

use anstyle::Style;

use super::Printer;
use super::term::palette;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Mark {
    New,
    Gone,
    Changed,
    Same,
}

impl<W: Write> Printer<W> {
    /// Left-aligned columns, two spaces apart, after the mark column. The first column is the
    /// host, shown only when the run has several. Where the table is wider than the terminal,
    /// the columns in `cut` are narrowed first, keeping their cells' ends (an address's port),
    /// so that the last column (a socket's program) is still read whole.
    pub(super) fn table<const N: usize>(&mut self, rows: &[(Mark, [String; N])], cut: &[usize]) {
        let skip = usize::from(!self.hosts);
        let mut widths = [0; N];
        for (_, row) in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        // Two spaces between columns, or one where two would not fit the terminal.
        let total = |widths: &[usize; N], gap: usize| {
            widths[skip..].iter().sum::<usize>() + 3 + gap * (N - skip - 1)
        };
        let gap = match self.width {
            Some(w) if total(&widths, 2) > w => {
                let over = total(&widths, 1).saturating_sub(w);
                narrow(&mut widths, cut, over);
                1
            }
            _ => 2,
        };
        for (i, (mark, row)) in rows.iter().enumerate() {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate().skip(skip) {
                let cell = clip(cell, widths[c], i == 0);
                line.push_str(&cell);
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
}

/// The narrowest a column in `cut` becomes: `…1:45678` still shows the port.
const MIN_CUT: usize = 8;

/// Take `over` columns from the widest of the columns in `cut`, one at a time, none below
/// MIN_CUT.
fn narrow(widths: &mut [usize], cut: &[usize], over: usize) {
    for _ in 0..over {
        let widest = cut.iter().copied().max_by_key(|&c| widths[c]);
        match widest {
            Some(c) if widths[c] > MIN_CUT => widths[c] -= 1,
            _ => return,
        }
    }
}

/// `cell` in `width` columns: whole when it fits; else its end after `…` (a header its start).
fn clip(cell: &str, width: usize, header: bool) -> String {
    let n = cell.chars().count();
    if n <= width {
        return cell.to_string();
    }
    let keep = width.saturating_sub(1);
    match header {
        true => format!("{}…", cell.chars().take(keep).collect::<String>()),
        false => format!("…{}", cell.chars().skip(n - keep).collect::<String>()),
    }
}

/// Pair this step's rows with the previous step's by `key`: each current row marked new,
/// changed or the same, followed by the rows that are gone.
pub(super) fn marked<'a, T, K: PartialEq>(
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
