//! The client and the server as the book's Figures 4.14–4.17 draw them, from a snapshot:
//! each process a box (children below their parent, joined by a dashed fork line; a zombie's
//! box dashed and greyed, marked <defunct>), each socket descriptor a row of its box with a
//! circle on the box's edge, named as the book names it (listenfd, connfd, sockfd), and the
//! connection drawn between the circles of its two ends. Two descriptors of the same socket
//! (after fork, Figure 4.15) are two circles, each joined to the peer.

use std::collections::HashMap;

use ::svg::node::element::Group;

use super::{Label, Names, svg};
use crate::kernel::{FdRow, ProcRow, Snapshot};

const ROW: f64 = 36.0;
const HEADER: f64 = 44.0;
const MIN_BOX: f64 = 250.0;
const GAP: f64 = 150.0;
const SPACE: f64 = 22.0;
const INDENT: f64 = 28.0;
const MARGIN: f64 = 20.0;
/// What a zombie's box says.
const ZOMBIE: &str = "Z: a zombie <defunct>, never waited for";

/// One process's box.
#[derive(Debug, Clone)]
pub struct ProcBox {
    pub at: (f64, f64),
    pub size: (f64, f64),
    pub zombie: bool,
    /// Where the fork line from its parent starts, if its parent is drawn.
    pub parent: Option<(f64, f64)>,
}

/// Where everything in the figure goes.
#[derive(Debug, Default)]
pub struct ProcessLayout {
    pub size: (f64, f64),
    pub boxes: Vec<ProcBox>,
    /// Each socket descriptor's circle, with the socket's inode.
    pub circles: Vec<((f64, f64), u64)>,
    /// The connections: lines between two circles.
    pub conns: Vec<((f64, f64), (f64, f64))>,
    pub labels: Vec<Label>,
}

/// The figure of the snapshot's processes and sockets, as SVG; None when it has no process.
pub fn processes(snap: &Snapshot, names: &mut Names) -> Option<String> {
    let layout = processes_layout(snap, names)?;
    let mut body = Group::new();
    for b in &layout.boxes {
        if let Some(from) = b.parent {
            let to = (b.at.0, b.at.1 + 16.0);
            body = body.add(svg::line("fork", from, (from.0, to.1)));
            body = body.add(svg::line("fork", (from.0, to.1), to));
        }
        let class = if b.zombie { "proc zombie" } else { "proc" };
        body = body.add(svg::rect(class, b.at, b.size));
    }
    for (a, b) in &layout.conns {
        body = body.add(svg::line("conn", *a, *b));
    }
    for (at, _) in &layout.circles {
        body = body.add(svg::circle("sock", *at, 6.0));
    }
    for label in &layout.labels {
        body = body.add(label.node());
    }
    let title = format!("{} processes and their sockets", layout.boxes.len());
    Some(svg::document("processes", &title, layout.size, body))
}

/// Where each box, circle and line of the figure goes (see `processes`).
pub fn processes_layout(snap: &Snapshot, names: &mut Names) -> Option<ProcessLayout> {
    if snap.procs.is_empty() {
        return None;
    }
    let servers = server_pids(snap);
    let width = box_width(snap, names);
    let mut layout = ProcessLayout::default();
    let mut bottoms = [MARGIN + 26.0; 2];
    let mut placed: HashMap<i32, (f64, f64)> = HashMap::new();
    // With no client left, the server's side is drawn where the client's would be.
    let clients = snap.procs.iter().any(|p| !servers.contains(&p.pid));
    for (side, title) in [(0, "client"), (1, "server")] {
        let column = if clients { side as f64 } else { 0.0 };
        let x = MARGIN + column * (width + INDENT + GAP);
        let mine = |p: &&ProcRow| servers.contains(&p.pid) == (side == 1);
        if snap.procs.iter().any(|p| mine(&p)) {
            let at = (x, MARGIN + 6.0);
            layout
                .labels
                .push(Label::new("head", at, "start", title.to_string()));
        }
        for p in in_tree_order(snap).into_iter().filter(mine) {
            let depth = depth(snap, p);
            let at = (x + depth as f64 * INDENT, bottoms[side]);
            let h = draw_process(&mut layout, p, snap, (at, width, side), names);
            let parent = placed.get(&p.ppid).copied();
            placed.insert(p.pid, (at.0 + 12.0, at.1 + h));
            layout.boxes.push(ProcBox {
                at,
                size: (width, h),
                zombie: p.state == 'Z',
                parent,
            });
            bottoms[side] += h + SPACE;
        }
    }
    connect(&mut layout, snap);
    let mut bottom = bottoms[0].max(bottoms[1]);
    for line in unowned(snap, names) {
        bottom += 18.0;
        // How many closed connections still wait depends on the run's timing: not compared.
        let label = Label::new("muted timewait", (MARGIN, bottom), "start", line);
        layout.labels.push(label);
    }
    layout.size = (
        2.0 * MARGIN + 2.0 * width + 2.0 * INDENT + GAP,
        bottom + MARGIN,
    );
    Some(layout)
}

/// A process's box at `at`, `width` wide, on the left (0) or right (1): its header and a row
/// per socket descriptor, each with its circle. Returns the box's height.
fn draw_process(
    layout: &mut ProcessLayout,
    p: &ProcRow,
    snap: &Snapshot,
    (at, width, side): ((f64, f64), f64, usize),
    names: &mut Names,
) -> f64 {
    let (x, y) = at;
    let pid = names.pid(p.pid);
    let head = format!("{} (pid {pid})", p.program().trim_matches(['[', ']']));
    layout
        .labels
        .push(Label::new("head", (x + 12.0, y + 19.0), "start", head));
    let state = match p.state {
        'Z' => ZOMBIE.to_string(),
        s if p.wchan != "-" && !p.wchan.is_empty() => format!("{s}, asleep in {}", p.wchan),
        s => format!("state {s}"),
    };
    // Where a process sleeps differs from run to run (the notes compare the rest).
    let class = if p.state == 'Z' {
        "zombie"
    } else {
        "muted wchan"
    };
    layout
        .labels
        .push(Label::new(class, (x + 12.0, y + 36.0), "start", state));
    let mut row_y = y + HEADER;
    for fd in sockets_of(p) {
        let (name, what, detail) = describe(fd, p, snap, names);
        let text = format!("fd {} {name}: {what}", fd.fd);
        let inside = x + 16.0;
        layout
            .labels
            .push(Label::new("fdname", (inside, row_y + 14.0), "start", text));
        layout
            .labels
            .push(Label::new("muted", (inside, row_y + 30.0), "start", detail));
        let edge = if side == 0 { x + width } else { x };
        layout.circles.push(((edge, row_y + 10.0), fd.node));
        row_y += ROW;
    }
    row_y - y + 8.0
}

/// The descriptors that are sockets, as lsof lists them.
fn sockets_of(p: &ProcRow) -> impl Iterator<Item = &FdRow> {
    p.fds
        .iter()
        .filter(|f| matches!(f.kind.as_str(), "TCP" | "UDP" | "unix" | "sock"))
}

/// A socket descriptor as the book names it (listenfd, connfd, sockfd), its protocol and
/// state, and its addresses.
fn describe(
    fd: &FdRow,
    p: &ProcRow,
    snap: &Snapshot,
    names: &mut Names,
) -> (&'static str, String, String) {
    if let Some(s) = snap
        .socks
        .iter()
        .find(|s| s.inode == fd.node && fd.node != 0)
    {
        let server =
            snap.socks.iter().any(|l| {
                l.state == "LISTEN" && l.local.port() == s.local.port() && l.host == s.host
            }) || (s.proto == "udp" && s.local.port() < super::EPHEMERAL);
        let name = match (s.state, server) {
            ("LISTEN", _) => "listenfd",
            (_, true) if s.proto == "tcp" => "connfd",
            _ => "sockfd",
        };
        let what = format!("{} {}", s.proto.to_uppercase(), s.state)
            .trim()
            .to_string();
        let detail = if s.foreign.port() == 0 {
            names.addr(s.local)
        } else {
            format!("{} ↔ {}", names.addr(s.local), names.addr(s.foreign))
        };
        return (name, what, detail);
    }
    if let Some(u) = snap
        .unix
        .iter()
        .find(|u| u.inode == fd.node && fd.node != 0)
    {
        let name = if u.state == "LISTENING" {
            "listenfd"
        } else if u.owner.as_ref().is_some_and(|o| o.0 == p.pid) && u.path.is_empty() {
            "connfd"
        } else {
            "sockfd"
        };
        let path = match u.path.as_str() {
            "" => "(unnamed)".to_string(),
            path => names.path(path),
        };
        return (name, format!("unix {} {}", u.kind, u.state), path);
    }
    ("sockfd", fd.kind.clone(), fd.name.clone())
}

/// The processes on the server's side: those whose tree holds a socket on a port below the
/// ephemeral ones (a listening socket, the connections it accepted, a bound UDP socket).
fn server_pids(snap: &Snapshot) -> Vec<i32> {
    let serving = |p: &ProcRow| {
        sockets_of(p).any(|fd| {
            let s = snap
                .socks
                .iter()
                .find(|s| s.inode == fd.node && fd.node != 0);
            s.is_some_and(|s| s.local.port() < super::EPHEMERAL && s.local.port() != 0)
                || snap
                    .unix
                    .iter()
                    .any(|u| u.inode == fd.node && u.state == "LISTENING")
        })
    };
    let root = |p: &ProcRow| {
        let mut p = p;
        while let Some(parent) = snap.procs.iter().find(|q| q.pid == p.ppid) {
            p = parent;
        }
        p.pid
    };
    let roots: Vec<i32> = snap.procs.iter().filter(|p| serving(p)).map(root).collect();
    snap.procs
        .iter()
        .filter(|p| roots.contains(&root(p)))
        .map(|p| p.pid)
        .collect()
}

/// Parents before their children, each tree in the order ps lists its root.
fn in_tree_order(snap: &Snapshot) -> Vec<&ProcRow> {
    fn visit<'a>(p: &'a ProcRow, snap: &'a Snapshot, out: &mut Vec<&'a ProcRow>) {
        out.push(p);
        for child in snap
            .procs
            .iter()
            .filter(|c| c.ppid == p.pid && c.pid != p.pid)
        {
            visit(child, snap, out);
        }
    }
    let mut out = Vec::new();
    let known = |pid: i32| snap.procs.iter().any(|p| p.pid == pid);
    for root in snap.procs.iter().filter(|p| !known(p.ppid)) {
        visit(root, snap, &mut out);
    }
    out
}

fn depth(snap: &Snapshot, p: &ProcRow) -> usize {
    let mut depth = 0;
    let mut at = p;
    while let Some(parent) = snap.procs.iter().find(|q| q.pid == at.ppid) {
        depth += 1;
        at = parent;
        if depth > 8 {
            break;
        }
    }
    depth.min(3)
}

/// Join each socket's circles to its peer's: TCP by their addresses, Unix-domain by the peer's
/// inode.
fn connect(layout: &mut ProcessLayout, snap: &Snapshot) {
    let mut pairs: Vec<(u64, u64)> = Vec::new();
    for a in snap
        .socks
        .iter()
        .filter(|s| s.proto == "tcp" && s.state != "LISTEN")
    {
        let peer = snap.socks.iter().find(|b| {
            b.proto == "tcp" && b.local == a.foreign && b.foreign == a.local && b.inode != 0
        });
        if let Some(b) = peer.filter(|b| a.inode != 0 && a.inode < b.inode) {
            pairs.push((a.inode, b.inode));
        }
    }
    for u in snap.unix.iter().filter(|u| u.peer != 0 && u.inode < u.peer) {
        pairs.push((u.inode, u.peer));
    }
    for (a, b) in pairs {
        let ends = |inode: u64| {
            let circles = layout.circles.iter().filter(move |(_, n)| *n == inode);
            circles.map(|(at, _)| *at).collect::<Vec<_>>()
        };
        for x in ends(a) {
            for y in ends(b) {
                layout.conns.push((x, y));
            }
        }
    }
}

/// Sockets no process holds (a TIME_WAIT end), in a line each under the figure.
fn unowned(snap: &Snapshot, names: &mut Names) -> Vec<String> {
    let free = snap
        .socks
        .iter()
        .filter(|s| s.owner.is_none() && s.proto == "tcp");
    free.map(|s| {
        format!(
            "{} {} ↔ {}: held by no process (the kernel keeps it)",
            s.state,
            names.addr(s.local),
            names.addr(s.foreign)
        )
    })
    .collect()
}

/// Wide enough for every line written in a box.
fn box_width(snap: &Snapshot, names: &mut Names) -> f64 {
    let mut widest: f64 = MIN_BOX.max(svg::text_width(ZOMBIE) + 30.0);
    for p in &snap.procs {
        let head = svg::text_width(p.program()) + 120.0;
        let asleep = svg::text_width(&p.wchan) + 160.0;
        widest = widest.max(head).max(asleep);
        for fd in sockets_of(p) {
            let (name, what, detail) = describe(fd, p, snap, names);
            let row = format!("fd {} {name}: {what}", fd.fd);
            widest = widest.max(svg::text_width(&row).max(svg::text_width(&detail)) + 36.0);
        }
    }
    widest
}

#[cfg(test)]
#[path = "processes_tests.rs"]
mod tests;
