//! Pictures of a run, where students would rather look than read: the book's figures drawn
//! from what the kernel and the wire showed after each step.
//!
//! - `timeline.rs`: a step's packets as a time-sequence diagram in the style of Figure 2.5 (a
//!   rail per endpoint, time going down to scale, an arrow per segment, each side's TCP state
//!   where it changes);
//! - `processes.rs`: the client and server as Figures 4.14–4.17 draw them, from a snapshot
//!   (processes as boxes, their sockets as listenfd and connfd, the connection between them);
//! - `svg.rs`: writing them as SVG with one style sheet (light and dark themes);
//! - `page.rs`: a whole run as one self-contained HTML page (`cargo xtask run --html`).
//!
//! Everything here is pure: plain data goes in (a step's frames, a snapshot, its narration,
//! its output and checks), strings of SVG or HTML come out. The engine collects the data
//! ([`StepData`]) only when asked, and never reads anything back from here.

mod page;
mod processes;
mod svg;
mod timeline;

use std::collections::HashMap;

pub use page::{Page, page};
pub use processes::{ProcessLayout, processes, processes_layout};
pub use svg::structure;
pub use timeline::{Numbering, TimelineLayout, timeline, timeline_layout};

use crate::kernel::Snapshot;
use crate::wire::Frame;

/// What a step did, as the pictures and the page need it.
#[derive(Clone, Debug, Default)]
pub struct StepData {
    /// From 1.
    pub n: usize,
    pub say: String,
    /// What the runner did, in words ("start tcpserv01 ...", "close cli's standard input").
    pub action: Vec<String>,
    /// What the programs printed: who, and the line.
    pub output: Vec<(String, String)>,
    /// The state after the step.
    pub snap: Snapshot,
    /// The step's packets.
    pub frames: Vec<Frame>,
    /// `picture = true` on the step: a key step, whose process figure is drawn.
    pub picture: bool,
}

/// How PIDs and ports are written. In stable mode (for the course notes) they are placeholders
/// numbered in the order they appear (p1, p2, ...; e1, e2, ... for ephemeral ports), so that two
/// runs draw the same picture.
#[derive(Debug, Default)]
pub struct Names {
    stable: bool,
    pids: HashMap<i32, String>,
    ports: HashMap<u16, String>,
}

/// Ports from here up are ephemeral (Linux's ip_local_port_range starts at 32768).
const EPHEMERAL: u16 = 32768;

impl Names {
    pub fn new(stable: bool) -> Names {
        let mut names = Names {
            stable,
            ..Names::default()
        };
        // The runner, parent of the programs it starts, is p0, as in the terminal's tables.
        let runner = std::process::id() as i32;
        names.pids.insert(runner, "p0".to_string());
        names
    }

    pub fn pid(&mut self, pid: i32) -> String {
        if !self.stable {
            return pid.to_string();
        }
        let n = self.pids.len();
        self.pids.entry(pid).or_insert(format!("p{n}")).clone()
    }

    pub fn port(&mut self, port: u16) -> String {
        if !self.stable || port < EPHEMERAL {
            return port.to_string();
        }
        let n = self.ports.len() + 1;
        self.ports.entry(port).or_insert(format!("e{n}")).clone()
    }

    /// A path in the run's folder, whose name has the runner's PID in it.
    pub fn path(&self, path: &str) -> String {
        let dir = crate::supervise::run_dir().to_string_lossy().into_owned();
        match self.stable {
            true => path.replace(&dir, "/tmp/unp-lab.NNNNNNN"),
            false => path.to_string(),
        }
    }

    /// An address and port, as `127.0.0.1:9877`; `*` for the wildcard port.
    pub fn addr(&mut self, addr: std::net::SocketAddr) -> String {
        match addr.port() {
            0 => format!("{}:*", addr.ip()),
            port => format!("{}:{}", addr.ip(), self.port(port)),
        }
    }
}

/// A box a label takes, for checking that no two overlap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Bounds {
    pub fn overlaps(&self, o: &Bounds) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

/// A line of text in a picture: where it goes and what class it is drawn in.
#[derive(Clone, Debug)]
pub struct Label {
    pub text: String,
    pub class: String,
    /// The anchor point, on the baseline.
    pub at: (f64, f64),
    /// "start", "middle" or "end", as SVG's text-anchor.
    pub anchor: &'static str,
}

impl Label {
    pub fn new(class: &str, at: (f64, f64), anchor: &'static str, text: String) -> Label {
        Label {
            text,
            class: class.to_string(),
            at,
            anchor,
        }
    }

    /// The box the text takes, from the font's size and estimated widths.
    pub fn bounds(&self) -> Bounds {
        let w = svg::text_width(&self.text);
        let x = match self.anchor {
            "middle" => self.at.0 - w / 2.0,
            "end" => self.at.0 - w,
            _ => self.at.0,
        };
        let h = svg::FONT_SIZE + 2.0;
        Bounds {
            x,
            y: self.at.1 - svg::FONT_SIZE,
            w,
            h,
        }
    }

    fn node(&self) -> ::svg::node::element::Text {
        svg::text(&self.class, self.at, self.anchor, &self.text)
    }
}

/// Pairs of labels that overlap: what the layouts' tests and the page's check look for.
pub fn overlapping(labels: &[&Label]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            if a.bounds().overlaps(&b.bounds()) {
                found.push((a.text.clone(), b.text.clone()));
            }
        }
    }
    found
}

/// The pictures of the key steps (`picture = true`), as the notes show them: for each, the
/// process figure (`LESSON-step-N.svg`) and, when the step has packets, its time-sequence
/// diagram (`LESSON-step-N-packets.svg`). Every step is numbered through, so that sequence
/// numbers and placeholders read as in a whole run.
pub fn key_pictures(lesson: &str, steps: &[StepData], stable: bool) -> Vec<(String, String)> {
    let mut numbering = Numbering::default();
    let mut names = Names::new(stable);
    let empty = Snapshot::default();
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let before = if i == 0 { &empty } else { &steps[i - 1].snap };
        let packets = timeline(
            &step.frames,
            (before, &step.snap),
            &mut numbering,
            &mut names,
        );
        if !step.picture {
            continue;
        }
        if let Some(svg) = processes(&step.snap, &mut names) {
            out.push((format!("{lesson}-step-{}.svg", step.n), svg));
        }
        if let Some(svg) = packets {
            out.push((format!("{lesson}-step-{}-packets.svg", step.n), svg));
        }
    }
    out
}
