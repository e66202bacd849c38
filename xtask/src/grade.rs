//! The grade of a student's copy: each task done, failed (with the check that failed, in its
//! words) or not reached (an earlier step failed first), from the run's report and, for a task
//! a test guards, that test's result. As `make grade` does for xv6's labs, it ends with a total.
//!
//! A task guarded by the scenario names the step whose checks catch its undoing (the guard's
//! `step`, which `cargo xtask guard` holds true). The scenario is played in order and stops at
//! the first failed step, so a task is done when the run got past its step, failed when its
//! step failed, and not reached when an earlier step failed.

use serde::Serialize;

use crate::play::{Outcome, Report};

/// A task as the grade needs it.
pub struct Task {
    pub number: usize,
    /// What the code must do, as the copy's mark says it.
    pub text: String,
    /// The guard's reason and the book's section: the hint.
    pub hint: String,
    /// The step whose checks catch the task undone; None when a test does.
    pub step: Option<usize>,
    /// The test's result, for a task a test guards: Ok, or what failed.
    pub test: Option<Result<(), String>>,
}

#[derive(Debug, Serialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Done,
    Failed,
    #[serde(rename = "not reached")]
    NotReached,
}

#[derive(Debug, Serialize)]
pub struct Graded {
    pub task: usize,
    pub text: String,
    pub status: Status,
    /// Why it failed: the step and the check, in its words; or why it was not reached.
    pub why: Option<String>,
    pub hint: String,
}

#[derive(Debug, Serialize)]
pub struct Grade {
    pub lesson: String,
    pub tasks: Vec<Graded>,
    pub done: usize,
    pub checks_held: usize,
    pub checks: usize,
    /// Set when the copy did not build: no task could be graded.
    pub build_error: Option<String>,
}

/// Grade the tasks from the run.
pub fn grade(lesson: &str, tasks: Vec<Task>, outcome: Outcome, report: &Report) -> Grade {
    let first_failed = report.first_failed_step();
    let passed = outcome == Outcome::Passed;
    let graded: Vec<Graded> = tasks
        .into_iter()
        .map(|t| {
            let (status, why) = status(&t, first_failed, passed, report);
            Graded {
                task: t.number,
                text: t.text,
                status,
                why,
                hint: t.hint,
            }
        })
        .collect();
    let (checks_held, checks) = report.tally();
    Grade {
        lesson: lesson.to_string(),
        done: graded.iter().filter(|g| g.status == Status::Done).count(),
        tasks: graded,
        checks_held,
        checks,
        build_error: None,
    }
}

/// One task's status, and why.
fn status(
    t: &Task,
    first_failed: Option<usize>,
    passed: bool,
    report: &Report,
) -> (Status, Option<String>) {
    if let Some(result) = &t.test {
        return match result {
            Ok(()) => (Status::Done, None),
            Err(why) => (Status::Failed, Some(why.clone())),
        };
    }
    let Some(step) = t.step else {
        return (
            Status::NotReached,
            Some("no step of the scenario catches it".into()),
        );
    };
    match first_failed {
        None if passed => (Status::Done, None),
        None => (
            Status::NotReached,
            Some(format!("the run ended before step {step}")),
        ),
        Some(f) if step < f => (Status::Done, None),
        Some(f) if step == f => (Status::Failed, Some(failure(report, f))),
        Some(f) => (
            Status::NotReached,
            Some(format!(
                "step {f} failed first; this task is checked at step {step}"
            )),
        ),
    }
}

/// The failed step's first failed check in words (or why it was not played).
fn failure(report: &Report, step: usize) -> String {
    let Some(s) = report.steps.iter().find(|s| s.step == step) else {
        return format!("step {step} failed");
    };
    if let Some(why) = &s.not_played {
        return format!("step {step} not played: {why}");
    }
    let failed = s
        .checks
        .iter()
        .find(|c| c.verdict == crate::play::Verdict::Failed);
    match failed {
        Some(c) => format!("step {step}: {}", c.words()),
        None => format!("step {step} failed"),
    }
}

impl Grade {
    /// A copy that does not compile: every task open.
    pub fn no_build(lesson: &str, tasks: Vec<Task>, error: String) -> Grade {
        let tasks = tasks
            .into_iter()
            .map(|t| Graded {
                task: t.number,
                text: t.text,
                status: Status::NotReached,
                why: Some("the copy does not compile".into()),
                hint: t.hint,
            })
            .collect();
        Grade {
            lesson: lesson.to_string(),
            tasks,
            done: 0,
            checks_held: 0,
            checks: 0,
            build_error: Some(error),
        }
    }

    /// Every task done.
    pub fn all_done(&self) -> bool {
        self.build_error.is_none() && self.done == self.tasks.len()
    }

    /// The grade as a student reads it: a line per task, then the total.
    pub fn lines(&self, hints: bool) -> Vec<String> {
        let mut lines = vec![format!("Grade of exercises/{}:", self.lesson)];
        for g in &self.tasks {
            let mark = match g.status {
                Status::Done => "✓ done       ",
                Status::Failed => "✗ failed     ",
                Status::NotReached => "· not reached",
            };
            lines.push(format!("  {mark} task {}: {}", g.task, g.text));
            if let Some(why) = g.why.as_ref().filter(|_| g.status != Status::Done) {
                lines.push(format!("                 {why}"));
            }
            if hints && g.status != Status::Done {
                lines.push(format!("                 hint: {}", g.hint));
            }
        }
        let n = self.tasks.len();
        lines.push(match &self.build_error {
            Some(_) => format!("does not compile: 0 of {n} tasks"),
            None => format!(
                "{} of {n} tasks; {} of {} checks",
                self.done, self.checks_held, self.checks
            ),
        });
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::play::{Check, StepReport, Verdict};

    fn report(failed_at: Option<usize>) -> Report {
        let steps = (1..=5)
            .map(|n| StepReport {
                step: n,
                say: String::new(),
                not_played: None,
                checks: vec![Check {
                    claim: format!("claim {n}"),
                    verdict: if Some(n) == failed_at {
                        Verdict::Failed
                    } else {
                        Verdict::Held
                    },
                    seen: (Some(n) == failed_at).then(|| "something else".into()),
                }],
            })
            .take(failed_at.unwrap_or(5))
            .collect();
        Report {
            lesson: "l".into(),
            steps,
            outcome: String::new(),
        }
    }

    fn task(number: usize, step: Option<usize>, test: Option<Result<(), String>>) -> Task {
        Task {
            number,
            text: format!("t{number}"),
            hint: "h".into(),
            step,
            test,
        }
    }

    #[test]
    fn tasks_before_the_failed_step_are_done_at_it_failed_after_it_not_reached() {
        let tasks = vec![
            task(1, Some(2), None),
            task(2, Some(3), None),
            task(3, Some(5), None),
        ];
        let g = grade("l", tasks, Outcome::Failed, &report(Some(3)));
        let status: Vec<&Status> = g.tasks.iter().map(|t| &t.status).collect();
        assert_eq!(
            status,
            [&Status::Done, &Status::Failed, &Status::NotReached]
        );
        assert_eq!(
            g.tasks[1].why.as_deref(),
            Some("step 3: expected: claim 3; saw: something else")
        );
        assert_eq!(
            g.lines(false).last().unwrap(),
            "1 of 3 tasks; 2 of 3 checks"
        );
        assert!(!g.all_done());
    }

    #[test]
    fn a_passed_run_and_passed_tests_do_every_task() {
        let tasks = vec![task(1, Some(2), None), task(2, None, Some(Ok(())))];
        let g = grade("l", tasks, Outcome::Passed, &report(None));
        assert!(g.all_done(), "{:?}", g.tasks);
        let failing = vec![task(1, None, Some(Err("test x failed".into())))];
        let g = grade("l", failing, Outcome::Passed, &report(None));
        assert_eq!(g.tasks[0].status, Status::Failed);
    }

    #[test]
    fn a_copy_that_does_not_compile_has_every_task_open() {
        let g = Grade::no_build("l", vec![task(1, Some(1), None)], "error[E0425]".into());
        assert_eq!(
            g.lines(true).last().unwrap(),
            "does not compile: 0 of 1 tasks"
        );
        assert!(!g.all_done());
    }
}
