//! A time-sequence diagram of a step's frames in the style of Stevens' Figure 2.5: one column
//! per endpoint, one arrow per segment, labelled with its flags and numbers from each ISN.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use super::frame::{Frame, Summary, TcpFlags, TcpInfo, summarize};
use super::proto::Proto;
use super::tcpdump::{Tcpdump, time_text};

/// More endpoints than this and the columns get too narrow to label an arrow in 80 columns.
const MAX_COLUMNS: usize = 4;
/// The time takes the first columns of every arrow line ("123.456789").
const TIME_WIDTH: usize = 10;
/// Room kept between the time and the first column, and after the last column.
const MARGIN: usize = 3;
/// Narrower than this and not even two columns with a short label fit.
const MIN_WIDTH: usize = 40;

/// A time-sequence diagram of one step's frames, in the style of Stevens' Figure 2.5: one
/// column per endpoint (IP:port), one arrow per segment. Falls back to tcpdump lines when
/// there are more than four endpoints. No line is longer than `width` (at least 40).
pub fn diagram(frames: &[Frame], stable: bool, width: usize) -> Vec<String> {
    let arrows = arrows(frames);
    let columns = columns(&arrows);
    if columns.len() > MAX_COLUMNS {
        let mut tcpdump = Tcpdump::default();
        return frames.iter().map(|f| tcpdump.line(f, stable)).collect();
    }
    let width = width.max(MIN_WIDTH);
    let xs = column_positions(columns.len(), width);
    let names: Vec<(usize, String)> = columns
        .iter()
        .zip(&xs)
        .map(|(end, x)| (*x, endpoint_name(*end)))
        .collect();
    let mut lines = label_rows(&names, width);
    lines.push(rails(&xs, width));
    for arrow in &arrows {
        lines.push(arrow_line(arrow, &columns, &xs, stable, width));
    }
    lines
}

/// One arrow of the diagram: who sent to whom, and what to write on it.
struct Arrow {
    time: Duration,
    from: SocketAddr,
    to: SocketAddr,
    /// Flags, sequence and acknowledgment numbers, e.g. "SYN,ACK seq 0 ack 1".
    label: String,
    /// Only the flags, for arrows too short for the whole label, e.g. "SYN,ACK".
    short: String,
}

fn arrows(frames: &[Frame]) -> Vec<Arrow> {
    // Sequence numbers are shown from the sender's ISN (a SYN is 0, the first data byte 1),
    // as Stevens counts them. A connection whose SYN is not among these frames gets no
    // numbers: absolute ones are random and too long for an arrow.
    let mut isns: HashMap<SocketAddr, u32> = HashMap::new();
    let mut arrows = Vec::new();
    for frame in frames {
        let Some(s) = summarize(frame) else { continue };
        let Some((from, to)) = s.ends() else { continue };
        let (label, short) = match &s.tcp {
            Some(tcp) => tcp_labels(&s, tcp, &mut isns, from, to),
            None => (other_label(&s), other_label(&s)),
        };
        arrows.push(Arrow {
            time: frame.time,
            from,
            to,
            label,
            short,
        });
    }
    arrows
}

fn tcp_labels(
    s: &Summary,
    tcp: &TcpInfo,
    isns: &mut HashMap<SocketAddr, u32>,
    from: SocketAddr,
    to: SocketAddr,
) -> (String, String) {
    let f = tcp.flags;
    if f.syn {
        isns.insert(from, tcp.seq);
    }
    let short = tcp_words(f, s.payload_len);
    let mut label = short.clone();
    if s.payload_len > 0 || f.syn || f.fin || f.rst {
        if let Some(isn) = isns.get(&from) {
            let _ = write!(label, " seq {}", tcp.seq.wrapping_sub(*isn));
        }
    }
    if f.ack {
        if let Some(isn) = isns.get(&to) {
            let _ = write!(label, " ack {}", tcp.ack.wrapping_sub(*isn));
        }
    }
    (label, short)
}

/// The flags in words: SYN, FIN and RST by name, then "data N" when data rides along, or
/// ACK when it does not. PSH is left out: Linux sets it on nearly every data segment.
fn tcp_words(f: TcpFlags, payload_len: usize) -> String {
    let mut words: Vec<String> = Vec::new();
    for (on, word) in [(f.syn, "SYN"), (f.fin, "FIN"), (f.rst, "RST")] {
        if on {
            words.push(word.to_string());
        }
    }
    if payload_len > 0 {
        words.push(format!("data {payload_len}"));
    } else if f.ack {
        words.push("ACK".to_string());
    }
    if words.is_empty() {
        "none".to_string()
    } else {
        words.join(",")
    }
}

fn other_label(s: &Summary) -> String {
    match (&s.icmp, s.proto) {
        (Some(icmp), _) => format!("ICMP {}", icmp.words),
        (None, Proto::Udp) => format!("UDP {}", s.payload_len),
        _ => "IP".to_string(),
    }
}

/// The endpoints in the order they first appear, so the one that connects is on the left.
fn columns(arrows: &[Arrow]) -> Vec<SocketAddr> {
    let mut columns = Vec::new();
    for arrow in arrows {
        for end in [arrow.from, arrow.to] {
            if !columns.contains(&end) {
                columns.push(end);
            }
        }
    }
    columns
}

/// A column's heading: IP:port, or the IP alone for a host's ICMP (port 0 on no wire).
fn endpoint_name(end: SocketAddr) -> String {
    if end.port() == 0 {
        end.ip().to_string()
    } else {
        end.to_string()
    }
}

fn column_positions(n: usize, width: usize) -> Vec<usize> {
    let first = TIME_WIDTH + 1 + MARGIN;
    let last = width - 1 - MARGIN;
    if n <= 1 {
        return vec![(first + last) / 2];
    }
    (0..n)
        .map(|i| first + i * (last - first) / (n - 1))
        .collect()
}

/// A line with only the columns' vertical bars.
fn rails(xs: &[usize], width: usize) -> String {
    to_line(rails_row(xs, width))
}

fn rails_row(xs: &[usize], width: usize) -> Vec<char> {
    let mut row = vec![' '; width];
    for &x in xs {
        row[x] = '|';
    }
    row
}

/// Writes `text` into `row` from `start`, dropping what would pass the end of the line.
fn put(row: &mut [char], start: usize, text: &str) {
    for (cell, c) in row.iter_mut().skip(start).zip(text.chars()) {
        *cell = c;
    }
}

fn to_line(row: Vec<char>) -> String {
    row.into_iter().collect::<String>().trim_end().to_string()
}

/// Texts centred on their columns; a text that would touch one already placed goes on a
/// further line, so long IPv6 names never run into each other.
fn label_rows(items: &[(usize, String)], width: usize) -> Vec<String> {
    let mut rows: Vec<Vec<char>> = Vec::new();
    for (x, text) in items {
        let text: String = text.chars().take(width).collect();
        let len = text.chars().count();
        let start = x.saturating_sub(len / 2).min(width - len);
        // One blank cell each side keeps neighbouring texts apart.
        let span = start.saturating_sub(1)..(start + len + 1).min(width);
        let free = |row: &Vec<char>| row[span.clone()].iter().all(|c| *c == ' ');
        let index = match rows.iter().position(free) {
            Some(index) => index,
            None => {
                rows.push(vec![' '; width]);
                rows.len() - 1
            }
        };
        put(&mut rows[index], start, &text);
    }
    rows.into_iter().map(to_line).collect()
}

fn arrow_line(
    arrow: &Arrow,
    columns: &[SocketAddr],
    xs: &[usize],
    stable: bool,
    width: usize,
) -> String {
    let mut row = rails_row(xs, width);
    put(
        &mut row,
        0,
        &format!("{:>TIME_WIDTH$}", time_text(arrow.time, stable)),
    );
    let column = |end: SocketAddr| columns.iter().position(|c| *c == end).unwrap_or(0);
    let (a, b) = (xs[column(arrow.from)], xs[column(arrow.to)]);
    if a == b {
        // A frame from an endpoint to itself has no arrow to draw; say what it was beside it.
        put(&mut row, a + 2, &arrow.label);
        return to_line(row);
    }
    let (lo, hi) = (a.min(b), a.max(b));
    // The arrow runs over any columns between its ends, as on a ladder diagram.
    for cell in &mut row[lo + 1..hi] {
        *cell = '-';
    }
    if b > a {
        row[hi - 1] = '>';
    } else {
        row[lo + 1] = '<';
    }
    // Keep two cells of shaft at each end, and a space each side of the label.
    let room = (hi - lo - 1).saturating_sub(4 + 2);
    let label = fit(&arrow.label, &arrow.short, room);
    if !label.is_empty() {
        let text = format!(" {label} ");
        let start = lo + 1 + (hi - lo - 1 - text.chars().count()) / 2;
        put(&mut row, start, &text);
    }
    to_line(row)
}

/// The whole label if it fits, else the flags alone, else as much of them as fits.
fn fit(label: &str, short: &str, room: usize) -> String {
    if label.chars().count() <= room {
        label.to_string()
    } else {
        short.chars().take(room).collect()
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::wire::testing::*;

    #[test]
    fn diagram_draws_the_conversation_within_80_columns() {
        let frames = conversation();
        let lines = diagram(&frames, true, 80);
        for line in &lines {
            assert!(line.chars().count() <= 80, "too long: {line:?}");
            println!("{line}");
        }
        assert!(lines[0].contains("192.0.2.1:45678") && lines[0].contains("192.0.2.2:9877"));
        let arrow = |i: usize| lines[2 + i].as_str();
        assert!(arrow(0).starts_with("  N.NNNNNN"));
        assert!(arrow(0).contains("- SYN seq 0 -") && arrow(0).contains("->|"));
        assert!(arrow(1).contains("|<-") && arrow(1).contains(" SYN,ACK seq 0 ack 1 "));
        assert!(arrow(2).contains(" ACK ack 1 "));
        assert!(arrow(3).contains(" data 6 seq 1 ack 1 "));
        assert!(arrow(6).contains(" FIN,ACK seq 7 ack 7 "));
        assert_eq!(lines.len(), 2 + frames.len());
    }

    #[test]
    fn diagram_puts_an_icmp_error_between_the_datagrams_ends() {
        let lines = diagram(&udp_and_port_unreachable(), false, 80);
        assert!(lines[2].contains(" UDP 5 ") && lines[2].contains("->|"));
        assert!(lines[3].contains("|<-") && lines[3].contains(" ICMP port unreachable "));
    }

    #[test]
    fn diagram_without_the_handshake_shows_flags_only() {
        let lines = diagram(&conversation()[6..], false, 80);
        assert!(lines[2].contains(" FIN,ACK -"), "{}", lines[2]);
    }

    #[test]
    fn narrow_arrows_keep_the_flags_and_many_endpoints_fall_back_to_tcpdump() {
        let port = |p: u16| ([192, 0, 2, 9], p);
        // Three clients and a server: four columns, the most a diagram draws.
        let frames: Vec<Frame> = (0..3)
            .map(|i| tcp(i, port(1000 + i as u16), S, "S", CISN, None, 64240, b""))
            .collect();
        let lines = diagram(&frames, false, 80);
        assert!(lines.iter().all(|l| l.chars().count() <= 80));
        assert!(
            lines.iter().filter(|l| l.contains("SYN")).count() == 3,
            "{lines:#?}"
        );
        let mut many = frames.clone();
        many.push(tcp(9, port(2000), S, "S", CISN, None, 64240, b""));
        assert_eq!(diagram(&many, false, 80), super::tests::lines(&many, false));
    }

    #[test]
    fn a_fragmented_datagram_is_one_arrow_with_its_whole_length() {
        let lines = diagram(&fragmented_udp(), false, 80);
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(
            lines[2].contains(" UDP 3000 ") && lines[2].contains("->|"),
            "{}",
            lines[2]
        );
    }
}
