//! What each step leaves for the pictures (`run --html`, `run --pictures`), kept only when the
//! run is asked for it: the narration, the action in words, what the programs printed, the
//! state and the step's packets, as plain data for `picture`.

use super::Run;
use super::wait::View;
use crate::picture::StepData;
use crate::scenario::{Action, Step};

impl Run<'_> {
    /// Keep the step's data, if the run keeps any; `mark` is where its output began.
    pub(super) fn collect(&mut self, step: &Step, n: usize, view: &View, mark: usize) {
        let Some(kept) = self.setup.steps else { return };
        let frames = match &self.lab {
            Some(lab) => {
                let all = lab.capture.frames();
                let upto = view.frames.min(all.len());
                all[self.step_frames.min(upto)..upto].to_vec()
            }
            None => Vec::new(),
        };
        let output = self.progs.log.lock().map_or(Vec::new(), |log| {
            let lines = log.get(mark..).unwrap_or_default();
            lines
                .iter()
                .map(|l| (l.who.clone(), l.text.clone()))
                .collect()
        });
        let data = StepData {
            n,
            say: step.say.clone(),
            action: self.words(&step.action),
            output,
            snap: view.snap.clone(),
            frames,
            picture: step.picture,
        };
        kept.borrow_mut().push(data);
    }

    /// The action as the terminal says it, in short.
    fn words(&self, action: &Action) -> Vec<String> {
        match action {
            Action::None => Vec::new(),
            Action::Start {
                names,
                program,
                args,
                host,
            } => {
                let args: Vec<String> = args.iter().map(|a| self.fill(a, host)).collect();
                let prompt = if self.setup.hosts.len() > 1 {
                    format!("{host}$")
                } else {
                    "$".to_string()
                };
                let line = format!("{prompt} {program} {} &", args.join(" "));
                names.iter().map(|n| format!("{line}    [{n}]")).collect()
            }
            Action::Type { to, line, repeat } => {
                let times = if *repeat > 1 {
                    format!(" ({repeat} lines)")
                } else {
                    String::new()
                };
                vec![format!("type into {}: {line}{times}", to.join(", "))]
            }
            Action::Close { names } => names
                .iter()
                .map(|n| format!("close {n}'s standard input (EOF, like Ctrl-D)"))
                .collect(),
            Action::Signal {
                to,
                signal,
                children,
            } => {
                let whom = if *children { "'s children" } else { "" };
                let sig = &signal.as_str()[3..];
                to.iter()
                    .map(|t| format!("kill -{sig} {t}{whom}"))
                    .collect()
            }
            Action::Crash { host } => vec![format!("{host} crashes: its cable is pulled")],
            Action::Reboot { host } => vec![format!("{host} reboots")],
            Action::Shutdown { host } => vec![format!("{host} is shut down")],
            Action::Route { host, .. } => vec![format!("{host}: a route is added")],
        }
    }
}
