//! The step loop: each step shown (or played unseen before `--from`), asked for (`--step`),
//! acted, waited for, printed and checked; the first failure ends the run unless
//! `--keep-going`.

use std::io::Write;
use std::time::Instant;

use super::prompt::{self, Prompt};
use super::report::{Check, Report, StepReport, Verdict};
use super::wait::Interrupted;
use super::{Outcome, Run};
use crate::scenario::{Scenario, Step, View as Show};
use crate::show::Printer;

/// Play every step (from the first: the ones before `--from` unseen).
pub(super) fn all<W: Write>(
    scenario: &Scenario,
    run: &mut Run,
    p: &mut Printer<W>,
    report: &mut Report,
    started: Instant,
) -> Outcome {
    let (setup, total) = (run.setup, scenario.steps.len());
    if setup.from > 1 {
        let last = (setup.from - 1).min(total);
        p.line(&format!(
            "\n(Steps 1 to {last} are played without being shown; their checks are made.)"
        ));
    }
    let mut failed = Vec::new();
    // The time spent at `--step`'s prompt is the class's, not the kernel's: said apart.
    let mut at_prompt = std::time::Duration::ZERO;
    for (i, step) in scenario.steps.iter().enumerate() {
        // `--from N`: the steps before N are played as they must be, to reach N's state, but
        // neither shown nor prompted for.
        let shown = i + 1 >= setup.from;
        p.mute(!shown);
        if shown {
            p.step_header(i + 1, total, &step.say);
        }
        if setup.step_by_step && shown {
            let asked = Instant::now();
            if let Some(end) = ask(p, i + 1, total) {
                return end;
            }
            at_prompt += asked.elapsed();
        }
        // A test hook: the tests prove that a panic, too, kills and reaps every program.
        if std::env::var("XTASK_TEST_PANIC_AT_STEP").is_ok_and(|n| n == (i + 1).to_string()) {
            panic!("XTASK_TEST_PANIC_AT_STEP={}", i + 1);
        }
        let Ok(done) = one(step, i + 1, total, run, p) else {
            p.line("\ninterrupted: stopping every program of the scenario");
            return Outcome::Interrupted;
        };
        let (bad, not_played) = (done.failed(), done.not_played.clone());
        report.steps.push(done);
        if let Some(why) = not_played {
            let text = format!("step {} of {total} not played: {why}", i + 1);
            p.summary(false, &text, 0.0);
            return Outcome::NotPlayed;
        }
        if bad {
            failed.push(i + 1);
            if !setup.keep_going {
                let text = format!("✗ step {} of {total} failed; the run stops here.", i + 1);
                p.summary(false, &text, 0.0);
                return Outcome::Failed;
            }
        }
    }
    close(p, report, &failed, total, (started, at_prompt))
}

/// The closing line: every check held, or which steps failed (`--keep-going`).
fn close<W: Write>(
    p: &mut Printer<W>,
    report: &Report,
    failed: &[usize],
    total: usize,
    (started, at_prompt): (Instant, std::time::Duration),
) -> Outcome {
    let (held, made) = report.tally();
    if failed.is_empty() {
        let all: usize = report.steps.iter().map(|s| s.checks.len()).sum();
        let prompt = match at_prompt.as_secs_f64() {
            0.0 => String::new(),
            secs => format!(" (and {secs:.1}s at the prompt)"),
        };
        let text = format!("✓ all {all} checks held, {total} steps in {{secs}}s{prompt}.");
        let secs = started.elapsed().saturating_sub(at_prompt).as_secs_f64();
        p.summary(true, &text, secs);
        return Outcome::Passed;
    }
    let list: Vec<String> = failed.iter().map(usize::to_string).collect();
    let text = format!(
        "✗ {held} of {made} checks held; step(s) {} of {total} failed.",
        list.join(", ")
    );
    p.summary(false, &text, 0.0);
    Outcome::Failed
}

/// `--step`'s prompt; Some when the run ends or restarts here.
fn ask<W: Write>(p: &mut Printer<W>, step: usize, total: usize) -> Option<Outcome> {
    match prompt::ask(step, total) {
        Prompt::Go | Prompt::Again => None,
        Prompt::Quit => {
            p.line(&format!(
                "\nstopped before step {step}: every program of the scenario is ended."
            ));
            Some(Outcome::Quit)
        }
        Prompt::Interrupted => {
            p.line("\ninterrupted: stopping every program of the scenario");
            Some(Outcome::Interrupted)
        }
        Prompt::Restart(n) => {
            p.line(&format!("\nplaying the run again, up to step {n}..."));
            Some(Outcome::Restart(n))
        }
    }
}

impl StepReport {
    fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.verdict == Verdict::Failed)
    }
}

/// One step: act, wait, show, check.
fn one<W: Write>(
    step: &Step,
    n: usize,
    total: usize,
    run: &mut Run,
    p: &mut Printer<W>,
) -> Result<StepReport, Interrupted> {
    let shown = n >= run.setup.from;
    let mut report = StepReport {
        step: n,
        say: step.say.clone(),
        not_played: run.not_playable(step),
        checks: Vec::new(),
    };
    if report.not_played.is_some() {
        return Ok(report);
    }
    let mark = run.progs.log.lock().map_or(0, |l| l.len());
    run.step_frames = run.frames_now();
    run.live_shown = run.step_frames;
    run.tcpdump.origin = run.since_capture();
    let acted = run.act(step, p);
    // After the action: a program it started in a lesson's place is known by then.
    let wait = run.fit_conditions(&step.wait);
    let live = run.setup.live && shown && !step.quiet;
    crate::show::term::hold_pages(true);
    let waited = match acted {
        Ok(()) => run.wait(&wait, step.timeout, live.then_some(&mut *p)),
        Err(_) => Ok((run.view(), Vec::new())),
    };
    crate::show::term::hold_pages(false);
    let (view, waited) = waited?;
    let view = run.settled(view);
    p.learn(&view.snap);
    run.collect(step, n, &view, mark);
    if step.quiet || !shown {
        p.remember(&view.snap);
    } else {
        show(step, run, &view, mark, p);
    }
    if !shown && (acted.is_err() || waited.iter().any(Result::is_err)) {
        p.mute(false);
        p.step_header(n, total, &step.say);
    }
    if let Err(msg) = acted {
        p.check(false, &msg);
        report.checks.push(Check {
            claim: msg,
            verdict: Verdict::Failed,
            seen: None,
        });
    }
    for (cond, result) in wait.iter().zip(waited) {
        report.checks.push(run.check(cond, &view, Some(result), p));
    }
    for cond in run.fit_conditions(&step.expect).iter() {
        report.checks.push(run.check(cond, &view, None, p));
    }
    Ok(report)
}

/// What the step printed, its packets and the tables.
fn show<W: Write>(
    step: &Step,
    run: &mut Run,
    view: &super::wait::View,
    mark: usize,
    p: &mut Printer<W>,
) {
    let shown_live = run.live_shown > run.step_frames;
    let packets = run.packet_lines(view.frames, p);
    p.output(&run.progs.log.lock().unwrap_or_else(|e| e.into_inner())[mark..]);
    match shown_live {
        true => p.more_packets(&packets),
        false => p.packets(&packets),
    }
    p.state(&view.snap);
    if step.show.contains(&Show::Fds) {
        p.fds(&view.snap);
    }
    if step.show.contains(&Show::Signals) {
        p.signals(&view.snap);
    }
}
