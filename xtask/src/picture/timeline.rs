//! A step's packets as a time-sequence diagram in the style of the book's Figure 2.5: a rail
//! per endpoint (its host, address, port and program on top), time going down to scale (a
//! zigzag across the rails where a long wait is cut short, such as a retransmission's backoff),
//! one arrow per segment slanting from sender to receiver, labelled with its flags, sequence
//! and acknowledgment numbers from each side's ISN and its length, and each side's TCP state
//! written beside its rail where it changes. RSTs, ICMP errors and retransmissions stand out.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use ::svg::node::element::Group;

use super::{Label, Names, svg};
use crate::kernel::Snapshot;
use crate::wire::{Frame, Summary, summarize};

/// What the numbering of a run's segments remembers from step to step: each endpoint's ISN
/// (numbers are written from it, as the book's J and K), the segments already sent (a second
/// copy is a retransmission), and the TCP state each side was last seen in.
#[derive(Debug, Default)]
pub struct Numbering {
    /// Each keyed by the side and its peer: a server's port is one end of many connections.
    isns: HashMap<Pair, u32>,
    sent: Vec<(SocketAddr, SocketAddr, u32, usize, bool)>,
    states: HashMap<Pair, &'static str>,
    /// The sides already labelled in the diagram being drawn: each gets its state once at least.
    shown: std::collections::HashSet<Pair>,
    /// The sequence number just past each side's FIN, once sent.
    fin_next: HashMap<Pair, u32>,
}

/// One side of a connection: its own address and its peer's.
type Pair = (SocketAddr, SocketAddr);

/// The diagram's measures, in pixels.
const TOP: f64 = 58.0;
const MIN_GAP: f64 = 40.0;
const SLANT: f64 = 20.0;
/// Up to a second, time goes down at this many pixels per second.
const PER_SECOND: f64 = 160.0;
/// Waits longer than this are cut short by a break, and grow by this much per doubling.
const LONG: f64 = 1.0;
const PER_DOUBLING: f64 = 36.0;
const STATE_WIDTH: f64 = 12.0 * svg::CHAR_WIDTH;
const TIME_WIDTH: f64 = 9.0 * svg::CHAR_WIDTH;

/// One arrow: a segment (or datagram, or ICMP message) from one rail to another.
#[derive(Debug, Clone)]
pub struct ArrowBox {
    pub from: (f64, f64),
    pub to: (f64, f64),
    /// "arrow" and its kind: syn, fin, rst, icmp, retx, data, ack or udp.
    pub class: String,
    pub head: &'static str,
    pub label: Label,
}

/// Where everything in the diagram goes.
#[derive(Debug, Default)]
pub struct TimelineLayout {
    pub size: (f64, f64),
    pub rails: Vec<f64>,
    /// Each rail's heading: two lines (who and where).
    pub heads: Vec<Label>,
    pub arrows: Vec<ArrowBox>,
    /// States where they change, the time of each arrow, and the length of each long wait.
    pub notes: Vec<Label>,
    /// Where time is cut short: the top of each break and its height.
    pub breaks: Vec<(f64, f64)>,
}

impl TimelineLayout {
    /// Every label, for checking that none overlaps another.
    pub fn labels(&self) -> Vec<&Label> {
        let arrows = self.arrows.iter().map(|a| &a.label);
        self.heads.iter().chain(arrows).chain(&self.notes).collect()
    }
}

/// One packet to draw, before it is placed.
struct Event {
    time: Duration,
    from: SocketAddr,
    to: SocketAddr,
    kind: &'static str,
    label: String,
    /// The states it moved its sender and receiver to, when they changed.
    changed: [Option<&'static str>; 2],
}

/// The diagram of a step's frames, as SVG; None when none of them can be drawn (ARP alone).
/// `before` and `after` are the states before and after the step: they name each rail's
/// program and host, and its TCP state.
pub fn timeline(
    frames: &[Frame],
    states: (&Snapshot, &Snapshot),
    numbering: &mut Numbering,
    names: &mut Names,
) -> Option<String> {
    let layout = timeline_layout(frames, states, numbering, names)?;
    let mut body = Group::new();
    for (x, _) in layout.rails.iter().zip(&layout.heads) {
        let bottom = layout.size.1 - 12.0;
        body = body.add(svg::line("rail", (*x, TOP - 8.0), (*x, bottom)));
        for (y, h) in &layout.breaks {
            body = body.add(svg::zigzag(*x, *y, *h));
        }
    }
    for head in &layout.heads {
        body = body.add(head.node());
    }
    for a in &layout.arrows {
        body = body.add(svg::arrow(&a.class, a.head, a.from, a.to));
        body = body.add(a.label.node());
    }
    for note in &layout.notes {
        body = body.add(note.node());
    }
    let title = format!("time-sequence diagram: {} packets", layout.arrows.len());
    Some(svg::document("timeline", &title, layout.size, body))
}

/// Where each rail, arrow and label of the diagram goes (see `timeline`).
pub fn timeline_layout(
    frames: &[Frame],
    states: (&Snapshot, &Snapshot),
    numbering: &mut Numbering,
    names: &mut Names,
) -> Option<TimelineLayout> {
    numbering.shown.clear();
    let events: Vec<Event> = frames
        .iter()
        .filter_map(|f| event(f, states.0, numbering))
        .collect();
    let first = events.first()?;
    let mut ends: Vec<SocketAddr> = Vec::new();
    for e in &events {
        for end in [e.from, e.to] {
            if !ends.contains(&end) {
                ends.push(end);
            }
        }
    }
    let heads: Vec<[String; 2]> = ends.iter().map(|e| heading(*e, states, names)).collect();
    let rails = rails(&events, &ends, &heads);
    let mut layout = TimelineLayout {
        rails,
        ..TimelineLayout::default()
    };
    for (x, [who, at]) in layout.rails.clone().iter().zip(heads) {
        layout
            .heads
            .push(Label::new("head", (*x, 20.0), "middle", who));
        layout
            .heads
            .push(Label::new("muted", (*x, 38.0), "middle", at));
    }
    let mut y = TOP + 14.0;
    let mut last = first.time;
    let mut side_bottom: HashMap<usize, f64> = HashMap::new();
    for e in &events {
        y += gap(&mut layout, y, e.time.saturating_sub(last));
        last = e.time;
        place(&mut layout, e, y, &ends, &mut side_bottom);
        let since = e.time.saturating_sub(first.time).as_secs_f64();
        let time = Label::new("time", (8.0, y + 4.0), "start", format!("{since:.3} s"));
        layout.notes.push(time);
    }
    finals(&mut layout, &ends, states.1, y + SLANT + 26.0, numbering);
    let right = layout.rails.last().copied().unwrap_or(0.0) + STATE_WIDTH + 24.0;
    layout.size = (right, y + SLANT + 44.0);
    Some(layout)
}

/// How far down the next arrow goes after a wait of `wait`: to scale up to a second, and past
/// that a break across the rails, growing with each doubling, labelled with the wait.
fn gap(layout: &mut TimelineLayout, y: f64, wait: Duration) -> f64 {
    let secs = wait.as_secs_f64();
    if secs <= LONG {
        return (secs * PER_SECOND).max(MIN_GAP);
    }
    let grown = PER_SECOND * LONG + PER_DOUBLING * (secs / LONG).log2();
    let (top, h) = (y + grown / 2.0 - 12.0, 24.0);
    layout.breaks.push((top, h));
    let x = layout.rails.first().copied().unwrap_or(0.0) - 14.0;
    let text = format!("{secs:.1} s later");
    let label = Label::new("time gap", (x, top + h / 2.0 + 4.0), "end", text);
    layout.notes.push(label);
    grown
}

/// Put an arrow at `y`, and the states it changed beside the rails (pushed down, if need be,
/// below the state last written beside the same rail).
fn place(
    layout: &mut TimelineLayout,
    e: &Event,
    y: f64,
    ends: &[SocketAddr],
    side_bottom: &mut HashMap<usize, f64>,
) {
    let col = |end: SocketAddr| ends.iter().position(|x| *x == end).unwrap_or(0);
    let (a, b) = (col(e.from), col(e.to));
    let (xa, xb) = (layout.rails[a], layout.rails[b]);
    // Above the arrow, which starts at its sender's height and slants down from there.
    let mid = ((xa + xb) / 2.0, y - 5.0);
    let class = format!("label {}", e.kind);
    let label = Label::new(&class, mid, "middle", e.label.clone());
    let head = match e.kind {
        "data" | "ack" | "udp" => "plain",
        other => other,
    };
    layout.arrows.push(ArrowBox {
        from: (xa, y),
        to: (xb, y + SLANT),
        class: format!("arrow {}", e.kind),
        head,
        label,
    });
    for (i, (c, at)) in [(a, y), (b, y + SLANT)].into_iter().enumerate() {
        let Some(state) = e.changed[i] else { continue };
        let at = side_bottom.get(&c).map_or(at, |b| at.max(b + 4.0));
        side_bottom.insert(c, at + svg::FONT_SIZE);
        layout.notes.push(state_label(layout, c, at, state));
    }
}

/// A state written beside rail `c`: left of the first rail, right of the others.
fn state_label(layout: &TimelineLayout, c: usize, y: f64, state: &str) -> Label {
    let x = layout.rails[c];
    if c == 0 && layout.rails.len() > 1 {
        Label::new("state", (x - 10.0, y + 4.0), "end", state.to_string())
    } else {
        Label::new("state", (x + 10.0, y + 4.0), "start", state.to_string())
    }
}

/// Under each rail, the state the kernel showed after the step, where the packets alone do not
/// tell it (a socket the step began in, or one the kernel moved on its own).
fn finals(
    layout: &mut TimelineLayout,
    ends: &[SocketAddr],
    after: &Snapshot,
    y: f64,
    numbering: &mut Numbering,
) {
    for (c, end) in ends.iter().enumerate() {
        let rows = after
            .socks
            .iter()
            .filter(|s| s.local == *end && s.proto == "tcp");
        let row = rows
            .filter(|s| ends.contains(&s.foreign))
            .find(|s| !s.state.is_empty());
        let Some(row) = row else {
            gone(layout, ends, after, (c, *end), y, numbering);
            continue;
        };
        let pair = (row.local, row.foreign);
        if numbering.states.get(&pair) != Some(&row.state) {
            numbering.states.insert(pair, row.state);
            let label = state_label(layout, c, y, row.state);
            layout.notes.push(label);
        }
    }
}

/// A side the diagram labelled whose socket the kernel no longer has: CLOSED (a reset, a
/// timeout, a process's end), unless it already said so.
fn gone(
    layout: &mut TimelineLayout,
    ends: &[SocketAddr],
    after: &Snapshot,
    (c, end): (usize, SocketAddr),
    y: f64,
    numbering: &mut Numbering,
) {
    let known = numbering
        .shown
        .iter()
        .find(|(me, peer)| *me == end && ends.contains(peer));
    let Some(pair) = known.copied() else { return };
    let held = after.socks.iter().any(|s| s.local == end);
    if !held && numbering.states.get(&pair).is_some_and(|s| *s != "CLOSED") {
        numbering.states.insert(pair, "CLOSED");
        let label = state_label(layout, c, y, "CLOSED");
        layout.notes.push(label);
    }
}

/// Where the rails go: far enough apart for the longest label between them, and for their
/// headings; the first leaves room for the times and states on its left.
fn rails(events: &[Event], ends: &[SocketAddr], heads: &[[String; 2]]) -> Vec<f64> {
    let widest = |c: usize| {
        let head = heads[c]
            .iter()
            .map(|h| svg::text_width(h))
            .fold(0.0, f64::max);
        head / 2.0 + 16.0
    };
    let mut xs = vec![TIME_WIDTH + STATE_WIDTH + 30.0_f64.max(widest(0) - STATE_WIDTH)];
    for c in 1..ends.len() {
        let over = events.iter().filter(|e| {
            let (a, b) = (
                ends.iter().position(|x| *x == e.from),
                ends.iter().position(|x| *x == e.to),
            );
            a.zip(b)
                .is_some_and(|(a, b)| a.max(b) == c && a.min(b) == c - 1)
        });
        let label = over.map(|e| svg::text_width(&e.label)).fold(0.0, f64::max);
        let apart = (label + 60.0).max(widest(c - 1) + widest(c)).max(240.0);
        xs.push(xs[c - 1] + apart);
    }
    xs
}

/// A rail's heading: its program and host, then its address and port.
fn heading(end: SocketAddr, states: (&Snapshot, &Snapshot), names: &mut Names) -> [String; 2] {
    let owned = || {
        let socks = states.0.socks.iter().chain(&states.1.socks);
        socks.filter(|s| s.local.port() == end.port() && s.owner.is_some())
    };
    // The socket bound to this very address; else one bound to the wildcard address on the
    // port (a UDP server's, as the book binds it), when only one is.
    let exact = owned().find(|s| s.local.ip() == end.ip());
    let mut wildcard: Vec<_> = owned().filter(|s| s.local.ip().is_unspecified()).collect();
    // Both snapshots may show the same socket.
    wildcard.sort_by_key(|s| s.inode);
    wildcard.dedup_by_key(|s| s.inode);
    let row = exact.or(match wildcard.as_slice() {
        [one] => Some(*one),
        _ => None,
    });
    // The host is named where the run has more than one.
    let all = states.0.socks.iter().chain(&states.1.socks);
    let mut hosts = all.map(|s| s.host.as_str()).collect::<Vec<_>>();
    hosts.sort();
    hosts.dedup();
    let who = match row {
        Some(r) => {
            let program = r.owner.as_ref().map_or("", |o| o.1.as_str());
            match r.host.as_str() {
                host if hosts.len() > 1 => format!("{host}: {program}"),
                _ => program.to_string(),
            }
        }
        None => String::new(),
    };
    let at = match end.port() {
        0 => end.ip().to_string(),
        _ => names.addr(end),
    };
    [who, at]
}

/// The frame as an arrow to draw, with its label and the states it changed.
fn event(f: &Frame, before: &Snapshot, numbering: &mut Numbering) -> Option<Event> {
    let s = summarize(f)?;
    let (from, to) = s.ends()?;
    let (kind, label, changed) = match (&s.tcp, &s.icmp) {
        (Some(_), _) => tcp_event(&s, from, to, before, numbering),
        (None, Some(icmp)) => ("icmp", format!("ICMP {}", icmp.words), [None; 2]),
        _ => ("udp", format!("UDP, length {}", s.payload_len), [None; 2]),
    };
    Some(Event {
        time: f.time,
        from,
        to,
        kind,
        label,
        changed,
    })
}

/// A TCP segment's kind, its label (flags, numbers from each ISN, length), and the states it
/// moved its two ends to.
fn tcp_event(
    s: &Summary,
    from: SocketAddr,
    to: SocketAddr,
    before: &Snapshot,
    n: &mut Numbering,
) -> (&'static str, String, [Option<&'static str>; 2]) {
    let Some(tcp) = s.tcp else {
        return ("data", String::new(), [None; 2]);
    };
    let f = tcp.flags;
    let len = s.payload_len;
    if f.syn {
        n.isns.insert((from, to), tcp.seq);
    }
    let mut words: Vec<&str> = Vec::new();
    for (on, word) in [
        (f.syn, "SYN"),
        (f.fin, "FIN"),
        (f.rst, "RST"),
        (len > 0, "data"),
    ] {
        if on {
            words.push(word);
        }
    }
    // As the terminal's diagram: data is "data", and ACK is said only when nothing else is.
    if f.ack && (words.is_empty() || f.syn) {
        words.push("ACK");
    }
    let mut label = words.join(",");
    if let Some(isn) = n.isns.get(&(from, to)) {
        let seq = tcp.seq.wrapping_sub(*isn);
        match len {
            0 if f.syn || f.fin || f.rst => _ = write!(label, " seq {seq}"),
            0 => {}
            _ => _ = write!(label, " seq {seq}:{}", seq.wrapping_add(len as u32)),
        }
    }
    if let (true, Some(isn)) = (f.ack, n.isns.get(&(to, from))) {
        _ = write!(label, " ack {}", tcp.ack.wrapping_sub(*isn));
    }
    match len {
        0 => {}
        1 => label.push_str(", 1 byte"),
        _ => _ = write!(label, ", {len} bytes"),
    }
    let key = (from, to, tcp.seq, len, f.syn || f.fin);
    let again = (len > 0 || f.syn || f.fin) && !f.rst && n.sent.contains(&key);
    n.sent.push(key);
    let kind = match () {
        _ if f.rst => "rst",
        _ if again => "retx",
        _ if f.syn => "syn",
        _ if f.fin => "fin",
        _ if len > 0 => "data",
        _ => "ack",
    };
    if again {
        label.push_str(" (again)");
    }
    let changed = transition(s, from, to, before, n);
    (kind, label, changed)
}

/// The states the segment moved its sender and receiver to (RFC 793's diagram, as the book's
/// Figure 2.4 draws it), where they changed.
fn transition(
    s: &Summary,
    from: SocketAddr,
    to: SocketAddr,
    before: &Snapshot,
    n: &mut Numbering,
) -> [Option<&'static str>; 2] {
    let Some(tcp) = s.tcp else { return [None; 2] };
    let f = tcp.flags;
    let was = |n: &Numbering, end: SocketAddr, peer: SocketAddr| {
        n.states.get(&(end, peer)).copied().unwrap_or_else(|| {
            let socks = &before.socks;
            let row = socks.iter().find(|r| r.local == end && r.foreign == peer);
            match row.map(|r| r.state) {
                Some(state) if !state.is_empty() => state,
                _ if f.syn && !f.ack && end == to => "LISTEN",
                _ => "CLOSED",
            }
        })
    };
    let (sender, receiver) = (was(n, from, to), was(n, to, from));
    let sent = match (sender, f.syn, f.fin, f.rst) {
        (_, _, _, true) => "CLOSED",
        (_, true, _, _) if !f.ack => "SYN_SENT",
        ("ESTABLISHED" | "SYN_RCVD", _, true, _) => "FIN_WAIT_1",
        ("CLOSE_WAIT", _, true, _) => "LAST_ACK",
        (state, ..) => state,
    };
    if f.fin {
        let end = tcp.seq.wrapping_add(s.payload_len as u32).wrapping_add(1);
        n.fin_next.insert((from, to), end);
    }
    let acks_fin = f.ack
        && n.fin_next
            .get(&(to, from))
            .is_some_and(|next| tcp.ack.wrapping_sub(*next) as i32 >= 0);
    let mut got = match (receiver, f.rst) {
        (_, true) => "CLOSED",
        ("LISTEN" | "CLOSED", _) if f.syn && !f.ack => "SYN_RCVD",
        ("SYN_SENT", _) if f.syn && f.ack => "ESTABLISHED",
        ("SYN_RCVD", _) if f.ack => "ESTABLISHED",
        ("FIN_WAIT_1", _) if acks_fin => "FIN_WAIT_2",
        ("CLOSING", _) if acks_fin => "TIME_WAIT",
        ("LAST_ACK", _) if acks_fin => "CLOSED",
        (state, _) => state,
    };
    if f.fin && !f.rst {
        got = match got {
            "ESTABLISHED" => "CLOSE_WAIT",
            "FIN_WAIT_1" => "CLOSING",
            "FIN_WAIT_2" => "TIME_WAIT",
            state => state,
        };
    }
    let mut changed = [None; 2];
    let sides = [((from, to), sender, sent), ((to, from), receiver, got)];
    for (i, (pair, old, new)) in sides.into_iter().enumerate() {
        if n.shown.insert(pair) || old != new {
            changed[i] = Some(new);
        }
        n.states.insert(pair, new);
    }
    changed
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
