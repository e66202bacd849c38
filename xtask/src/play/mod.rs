//! Playing a scenario: for each step, print the narration and the action, do the action
//! ([`action`]), wait for the step's conditions ([`wait`]), then print what the programs said,
//! the packets, the ps and netstat tables, and each check, ✓ or ✗, while the [`report`] keeps
//! the same as data. `--step` asks before each step ([`prompt`]).

mod action;
mod collect;
mod prompt;
mod report;
mod steps;
mod wait;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use report::{Check, Report, StepReport, Verdict};

use crate::kernel::{Snapshot, SockRow, Sockets};
use crate::net::lab::Lab;
use crate::net::ns::HostSpec;
use crate::show::Printer;
use crate::supervise::{Programs, run_dir};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Passed,
    Failed,
    /// A step needs what a program put in a lesson's place cannot do (an option of the
    /// lesson's program): the run stops there, neither passed nor failed by a check.
    NotPlayed,
    Interrupted,
    /// `q` at a `--step` prompt.
    Quit,
    /// `r`, `b` or `j` at a `--step` prompt: play the scenario again from the start, showing
    /// it from this step on (new programs, new namespaces).
    Restart(usize),
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::NotPlayed => "not played",
            Outcome::Interrupted => "interrupted",
            Outcome::Quit | Outcome::Restart(_) => "quit",
        }
    }
}

/// Where the scenario runs: the lesson's programs, the hosts and the port they use.
pub struct Setup<'a> {
    pub bins: &'a Path,
    /// `--program NAME=PATH`: run PATH wherever the scenario starts NAME, the book's way.
    pub replaced: &'a [(String, PathBuf)],
    /// A student's own builds of the lesson's programs (`check`): started as the lesson's are.
    pub own: &'a [(String, PathBuf)],
    pub hosts: &'a [HostSpec],
    pub port: u16,
    /// `--step`: wait for Enter before each step.
    pub step_by_step: bool,
    /// Placeholders for PIDs, ports and timings (for the course notes).
    pub stable: bool,
    /// `--pcap FILE`: write every packet of the run there at the end.
    pub pcap: Option<&'a Path>,
    /// `--from N`: show (and prompt for) steps from N on; play the ones before unseen.
    pub from: usize,
    /// `--packets`; None: tcpdump's lines where they fit the terminal, else the diagram.
    pub packets: Option<PacketView>,
    /// `--keep-going`: a failed step does not end the run; the rest are played and checked.
    pub keep_going: bool,
    /// Show each packet as it comes while a step waits (on a terminal): the retransmissions
    /// of §5.14 arrive one by one, with their growing gaps.
    pub live: bool,
    /// Where each step's data is kept for the pictures (`--html`, `--pictures`); None: not kept.
    pub steps: Option<&'a std::cell::RefCell<Vec<crate::picture::StepData>>>,
}

impl Setup<'_> {
    /// The executable that plays the program `name`: the one put in its place, or the
    /// lesson's own.
    pub fn path_of(&self, program: &str) -> PathBuf {
        let given = self.replaced.iter().chain(self.own);
        match given.into_iter().find(|(n, _)| n == program) {
            Some((_, path)) => path.clone(),
            None => self.bins.join(program),
        }
    }

    pub fn is_replaced(&self, program: &str) -> bool {
        self.replaced.iter().any(|(n, _)| n == program)
    }
}

/// `--packets`: how a step's packets are shown.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum PacketView {
    /// One line per packet, as tcpdump prints it: every field, for any number of connections.
    Lines,
    /// Arrows between the endpoints' columns (at most four; more fall back to lines).
    Diagram,
    /// No packets (the packet checks are still made).
    None,
}

/// What the engine carries from step to step.
struct Run<'a> {
    setup: &'a Setup<'a>,
    progs: Programs,
    /// The run's own network; None on the machine's own network (`--host-network`).
    lab: Option<Lab>,
    /// On the machine's own network: sockets already on the port when the run began (an
    /// earlier run's TIME_WAIT), which are not this run's.
    before: Vec<SockRow>,
    /// How many frames had been captured when the step began: the step's packets follow.
    step_frames: usize,
    /// How many frames have been shown while the step waited (`Setup::live`).
    live_shown: usize,
    /// Numbers each connection's sequence numbers from its first, as tcpdump does.
    tcpdump: crate::wire::Tcpdump,
    /// The program each started name runs (a copy started `as` another name runs the same).
    programs: Vec<(String, String)>,
}

/// Play the scenario; the report says what each step did and each check found.
pub fn play<W: Write>(
    scenario: &crate::scenario::Scenario,
    setup: &Setup,
    lab: Option<Lab>,
    p: &mut Printer<W>,
) -> (Outcome, Report) {
    let started = Instant::now();
    let before = match lab {
        Some(_) => Vec::new(),
        None => Snapshot::read(&Default::default(), Sockets::Ports(&[setup.port])).socks,
    };
    if !before.is_empty() && !setup.stable {
        let n = before.len();
        p.line(&format!(
            "({n} socket(s) an earlier run left on this port are not shown.)"
        ));
    }
    let mut run = Run {
        setup,
        progs: Programs::new(),
        lab,
        before,
        step_frames: 0,
        live_shown: 0,
        tcpdump: Default::default(),
        programs: Vec::new(),
    };
    // Whatever an earlier play of this run (a --step replay) left in the run's folder is gone.
    let _ = std::fs::remove_dir_all(run_dir());
    let mut report = Report::default();
    let mut outcome = steps::all(scenario, &mut run, p, &mut report, started);
    if let (Some(path), Some(lab)) = (setup.pcap, &run.lab) {
        let frames = lab.capture.frames();
        match crate::wire::write_pcap(path, lab.capture.started, &frames) {
            Ok(()) => p.line(&format!(
                "{} packets written to {}",
                frames.len(),
                path.display()
            )),
            Err(e) => {
                p.line(&format!("error: cannot write {}: {e}", path.display()));
                outcome = Outcome::Failed;
            }
        }
    }
    // Every program is ended and reaped first, so that none is left writing in the folder.
    drop(run);
    let _ = std::fs::remove_dir_all(run_dir());
    report.outcome = outcome.word().to_string();
    (outcome, report)
}
