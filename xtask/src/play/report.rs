//! A run's outcome as data: every step, whether it was played, and each check with its claim
//! and what was seen. The guard and notes commands, `check`'s grade and the tests read this,
//! never the printed ✓ and ✗.

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Report {
    pub lesson: String,
    pub steps: Vec<StepReport>,
    /// `passed`, `failed`, `not played`, `interrupted` or `quit`.
    pub outcome: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepReport {
    /// From 1.
    pub step: usize,
    pub say: String,
    /// Why the step was not played (a program in a lesson's place lacks an option it needs).
    pub not_played: Option<String>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    /// The claim, as the ✓ and ✗ lines say it.
    pub claim: String,
    pub verdict: Verdict,
    /// What was seen instead, when it failed.
    pub seen: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Held,
    Failed,
    /// Not made: what it reads is not there (no capture on the machine's own network).
    #[serde(rename = "not run")]
    NotRun,
}

impl Report {
    /// The first check that failed, with its step: what a grade or a guard reports.
    pub fn first_failure(&self) -> Option<(usize, &Check)> {
        self.steps.iter().find_map(|s| {
            let c = s.checks.iter().find(|c| c.verdict == Verdict::Failed)?;
            Some((s.step, c))
        })
    }

    /// The first step that failed a check or could not be played.
    pub fn first_failed_step(&self) -> Option<usize> {
        self.steps
            .iter()
            .find(|s| {
                s.not_played.is_some() || s.checks.iter().any(|c| c.verdict == Verdict::Failed)
            })
            .map(|s| s.step)
    }

    /// How many checks held, and how many were made.
    pub fn tally(&self) -> (usize, usize) {
        let made = self.steps.iter().flat_map(|s| &s.checks);
        let made: Vec<&Check> = made.filter(|c| c.verdict != Verdict::NotRun).collect();
        let held = made.iter().filter(|c| c.verdict == Verdict::Held).count();
        (held, made.len())
    }

    /// Read a report written by `cargo xtask run --report FILE`.
    pub fn read(path: &std::path::Path) -> Result<Report, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Check {
    /// The check in one line, as a ✗ line says it.
    pub fn words(&self) -> String {
        match &self.seen {
            Some(seen) => format!("expected: {}; saw: {seen}", self.claim),
            None => self.claim.clone(),
        }
    }
}
