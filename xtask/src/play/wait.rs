//! Waiting for a step's conditions, and reading the state they are checked against: /proc and
//! sock_diag, the output logged, and the packets captured, at one moment, in an order that
//! keeps them consistent.

use std::collections::HashSet;
use std::io::Write;
use std::ops::Deref;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::report::{Check, Verdict};
use super::{PacketView, Run};
use crate::cond::{Cond, Condition, Ctx};
use crate::kernel::{Snapshot, Sockets};
use crate::show::Printer;
use crate::supervise::INTERRUPTED;

/// How often conditions are checked while a step waits.
pub(super) const POLL: Duration = Duration::from_millis(5);

/// Ctrl-C (or SIGTERM, SIGHUP) while a step waited.
pub struct Interrupted;

/// What conditions are checked against: /proc, and the output logged before it was read.
pub(super) struct View {
    pub snap: Snapshot,
    /// How many lines of output had been logged.
    pub log_len: usize,
    /// The programs whose output had been read to the end.
    pub done: HashSet<i32>,
    /// How many frames had been captured, read after the socket tables.
    pub frames: usize,
}

/// A condition as the step checks it: the scenario's own, or the form of it that holds for a
/// program put in a lesson's place.
pub(super) enum Fit<'a> {
    Same(&'a Cond),
    Instead(Cond),
}

impl Deref for Fit<'_> {
    type Target = dyn Condition;

    fn deref(&self) -> &(dyn Condition + 'static) {
        match self {
            Fit::Same(c) => c.as_ref(),
            Fit::Instead(c) => c.as_ref(),
        }
    }
}

impl Run<'_> {
    /// Evaluate with the state `view` and the step's packets up to it.
    pub(super) fn with_ctx<T>(&self, view: &View, f: impl FnOnce(&Ctx) -> T) -> T {
        let frames = self.lab.as_ref().map(|l| l.capture.frames());
        let step = match &frames {
            Some(all) => {
                let upto = view.frames.min(all.len());
                &all[self.step_frames.min(upto)..upto]
            }
            None => &[],
        };
        let ctx = Ctx {
            snap: &view.snap,
            progs: &self.progs,
            log_len: view.log_len,
            done: &view.done,
            port: self.setup.port,
            hosts: self.setup.hosts,
            frames: step,
            lab: self.lab.as_ref(),
        };
        f(&ctx)
    }

    /// Poll until every condition holds, or the timeout passes, or one never can. Returns the
    /// state in which they held (or the last one seen) and each condition's result.
    pub(super) fn wait<W: Write>(
        &mut self,
        conds: &[Fit],
        timeout: Duration,
        mut live: Option<&mut Printer<W>>,
    ) -> Result<(View, Vec<Result<(), String>>), Interrupted> {
        let deadline = Instant::now() + timeout;
        loop {
            if INTERRUPTED.load(Ordering::SeqCst) {
                return Err(Interrupted);
            }
            self.progs.contain();
            let view = self.view();
            if let Some(p) = live.as_deref_mut() {
                self.show_live(view.frames, p);
            }
            let (results, why) = self.with_ctx(&view, |ctx| {
                let results: Vec<_> = conds.iter().map(|c| c.eval(ctx)).collect();
                // A condition about a program that has ended can never come to hold: say so
                // now rather than sit out the timeout.
                let failed = conds.iter().zip(&results).filter(|(_, r)| r.is_err());
                let why = failed.filter_map(|(c, _)| c.hopeless(ctx)).next();
                (results, why)
            });
            let why = match why {
                _ if results.iter().all(Result::is_ok) => return Ok((view, results)),
                Some(why) => why,
                None if Instant::now() >= deadline => {
                    format!("still, after waiting {}s", timeout.as_secs_f64())
                }
                None => {
                    std::thread::sleep(POLL);
                    continue;
                }
            };
            let results = results
                .into_iter()
                .map(|r| r.map_err(|seen| format!("{seen} ({why})")))
                .collect();
            return Ok((view, results));
        }
    }

    /// The state at one moment, in an order that keeps it consistent: reap what has ended,
    /// note whose output is complete, note how much output there is, and only then read /proc.
    /// So a line counted as printed was printed before /proc was read, and a check on a line
    /// never sees a state older than the line. Packets are read last, for the opposite reason:
    /// what a state shows happened has put its packets on the wire.
    pub(super) fn view(&mut self) -> View {
        self.progs.reap();
        let done = self
            .progs
            .list
            .iter()
            .filter(|p| p.output_done())
            .map(|p| p.pid)
            .collect();
        let log_len = self.progs.log.lock().map_or(0, |l| l.len());
        let snap = match &self.lab {
            Some(lab) => Snapshot::read(&self.progs.pgids, Sockets::Hosts(&lab.views())),
            None => Snapshot::read(&self.progs.pgids, Sockets::Ports(&[self.setup.port]))
                .without(&self.before),
        };
        let frames = self.frames_now();
        View {
            snap,
            log_len,
            done,
            frames,
        }
    }

    /// In stable mode (a transcript must read the same every run), the step's last packets (a
    /// delayed ACK comes up to 40 ms late) belong to it, not to the next step: let the wire go
    /// quiet, and read the state again if more came.
    pub(super) fn settled(&mut self, view: View) -> View {
        if self.setup.stable && self.lab.is_some() && self.settle() {
            self.view()
        } else {
            view
        }
    }

    /// Wait until no packet has been captured for a while (at most 2 s in all). Returns
    /// whether any more came.
    fn settle(&mut self) -> bool {
        const QUIET: Duration = Duration::from_millis(120);
        let first = self.frames_now();
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut last = (first, Instant::now());
        while Instant::now() < deadline && last.1.elapsed() < QUIET {
            std::thread::sleep(POLL);
            let n = self.frames_now();
            if n != last.0 {
                last = (n, Instant::now());
            }
        }
        last.0 != first
    }

    /// The packets captured since the last shown, as tcpdump's lines, while the step waits.
    fn show_live<W: Write>(&mut self, upto: usize, p: &mut Printer<W>) {
        let Some(lab) = &self.lab else {
            return;
        };
        let frames = lab.capture.frames();
        let upto = upto.min(frames.len());
        if upto <= self.live_shown {
            return;
        }
        let new = &frames[self.live_shown..upto];
        let lines: Vec<String> = new.iter().map(|f| self.tcpdump.line(f, false)).collect();
        match self.live_shown == self.step_frames {
            true => p.packets(&lines),
            false => p.more_packets(&lines),
        }
        self.live_shown = upto;
    }

    /// How long the capture has run: where the step's packet times count from.
    pub(super) fn since_capture(&self) -> Duration {
        let started = self.lab.as_ref().map(|l| l.capture.started);
        started.map_or(Duration::ZERO, |s| s.elapsed().unwrap_or_default())
    }

    /// How many frames have been captured so far (none on the machine's own network).
    pub(super) fn frames_now(&self) -> usize {
        self.lab.as_ref().map_or(0, |l| l.capture.frames().len())
    }

    /// The step's packets, up to the `upto`th frame captured: one tcpdump line each, or the
    /// diagram (asked for, or where the lines would not fit the terminal).
    pub(super) fn packet_lines<W: Write>(&mut self, upto: usize, p: &Printer<W>) -> Vec<String> {
        let Some(lab) = &self.lab else {
            return Vec::new();
        };
        let stable = self.setup.stable;
        let frames = lab.capture.frames();
        let upto = upto.min(frames.len());
        // Those shown while the step waited are not shown again.
        let step = &frames[self.live_shown.min(upto)..upto];
        // The line view numbers sequences from each connection's start, so it sees every frame
        // even when it shows none.
        let lines: Vec<String> = step.iter().map(|f| self.tcpdump.line(f, stable)).collect();
        let diagram = || match step.is_empty() {
            true => Vec::new(),
            false => crate::wire::diagram(step, stable, p.width().unwrap_or(80).min(100) - 4),
        };
        let shown_live = self.live_shown > self.step_frames;
        match self.setup.packets {
            Some(PacketView::Lines) => lines,
            _ if shown_live => lines,
            None if p.fits(&lines) => lines,
            Some(PacketView::Diagram) | None => diagram(),
            Some(PacketView::None) => Vec::new(),
        }
    }

    /// Check one condition (a wait's result is given; an expectation is evaluated now),
    /// print its ✓ or ✗, and return it for the report.
    pub(super) fn check<W: Write>(
        &self,
        cond: &Fit,
        view: &View,
        waited: Option<Result<(), String>>,
        p: &mut Printer<W>,
    ) -> Check {
        let (claim, result) = self.with_ctx(view, |ctx| {
            let result = waited.unwrap_or_else(|| cond.eval(ctx));
            (cond.describe(ctx), result)
        });
        if cond.needs_own_network() && self.lab.is_none() {
            p.line(&format!(
                "  - not run: {claim} (no capture on the machine's own network)"
            ));
            let verdict = Verdict::NotRun;
            return Check {
                claim,
                verdict,
                seen: None,
            };
        }
        match result {
            Ok(()) => {
                p.check(true, &claim);
                Check {
                    claim,
                    verdict: Verdict::Held,
                    seen: None,
                }
            }
            Err(seen) => {
                p.check(false, &format!("expected: {claim}; saw: {seen}"));
                let seen = Some(seen);
                Check {
                    claim,
                    verdict: Verdict::Failed,
                    seen,
                }
            }
        }
    }
}
