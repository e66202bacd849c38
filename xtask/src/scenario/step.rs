//! `[[step]]`: what a step says, the one thing it does, and the conditions it waits for and
//! checks. Reading one is checking it: a name is used only after a step started it, a host
//! only if the run has it, an action's keys only with that action.

use std::time::Duration;

use nix::sys::signal::Signal;
use serde::Deserialize;

use super::narration;
use super::{Action, Step, View};
use crate::cond::{self, Cond, Scope};
use crate::net::ns::HostSpec;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    say: String,
    start: Option<String>,
    #[serde(rename = "as")]
    name: Option<Names>,
    #[serde(rename = "type")]
    typed: Option<String>,
    repeat: Option<usize>,
    close: Option<Names>,
    signal: Option<String>,
    to: Option<Names>,
    child: Option<bool>,
    on: Option<String>,
    crash: Option<String>,
    reboot: Option<String>,
    shutdown: Option<String>,
    route: Option<String>,
    #[serde(default)]
    wait: Vec<toml::Table>,
    #[serde(default)]
    expect: Vec<toml::Table>,
    /// Seconds to wait for the `wait` conditions; 5 when not given.
    timeout: Option<f64>,
    quiet: Option<bool>,
    #[serde(default)]
    show: Vec<String>,
    /// `picture = true`: the notes draw this step.
    picture: Option<bool>,
}

/// `as`, `to` and `close` take one name or a list of names.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn list(&self) -> Vec<String> {
        match self {
            Names::One(n) => vec![n.clone()],
            Names::Many(v) => v.clone(),
        }
    }
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The most lines one `type` step may type: the flood of §8.13 types 2000.
pub const MAX_REPEAT: usize = 100_000;

/// What a step may refer to: the run's hosts, and the programs earlier steps started (this
/// step's own are added as its `start` is read).
pub(super) struct Known<'a> {
    pub names: &'a mut Vec<String>,
    pub hosts: &'a [HostSpec],
}

pub(super) fn check_step(raw: RawStep, known: &mut Known) -> Result<Step, String> {
    check_keys(&raw, known.hosts)?;
    let action = action(&raw, known)?;
    let scope = Scope {
        names: known.names,
        hosts: known.hosts,
    };
    let conds = |list: &[toml::Table], key: &str| -> Result<Vec<Cond>, String> {
        let parsed = list
            .iter()
            .enumerate()
            .map(|(i, c)| cond::parse(c, &scope).map_err(|msg| format!("{key} #{}: {msg}", i + 1)));
        parsed.collect()
    };
    let timeout = match raw.timeout {
        None => DEFAULT_TIMEOUT,
        Some(t) if t > 0.0 && t <= 600.0 => Duration::from_secs_f64(t),
        Some(t) => return Err(format!("timeout {t} is not between 0 and 600 seconds")),
    };
    let show = raw
        .show
        .iter()
        .map(|v| match v.as_str() {
            "fds" => Ok(View::Fds),
            "signals" => Ok(View::Signals),
            other => Err(format!(
                "`show` takes \"fds\" and \"signals\", not `{other}`"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let wait = conds(&raw.wait, "wait")?;
    let expect = conds(&raw.expect, "expect")?;
    narration::check(&raw.say, wait.iter().chain(&expect))?;
    Ok(Step {
        say: raw.say.trim().to_string(),
        action,
        wait,
        expect,
        timeout,
        quiet: raw.quiet.unwrap_or(false),
        show,
        picture: raw.picture.unwrap_or(false),
    })
}

/// One action per step, and each action's keys only with it.
fn check_keys(raw: &RawStep, hosts: &[HostSpec]) -> Result<(), String> {
    let given: Vec<&str> = [
        ("start", raw.start.is_some()),
        ("type", raw.typed.is_some()),
        ("close", raw.close.is_some()),
        ("signal", raw.signal.is_some()),
        ("crash", raw.crash.is_some()),
        ("reboot", raw.reboot.is_some()),
        ("shutdown", raw.shutdown.is_some()),
        ("route", raw.route.is_some()),
    ]
    .iter()
    .filter(|(_, set)| *set)
    .map(|(key, _)| *key)
    .collect();
    if given.len() > 1 {
        return Err(format!(
            "one action per step, found {}",
            given.join(" and ")
        ));
    }
    let lan = hosts.iter().any(|h| !h.addr.is_loopback());
    let rules = [
        (
            !lan && (raw.crash.is_some() || raw.reboot.is_some() || raw.route.is_some()),
            "crash, reboot and route need hosts: declare them with [[host]]",
        ),
        (
            raw.on.is_some() && raw.start.is_none() && raw.route.is_none(),
            "`on` names a host, so it goes with `start` or `route`",
        ),
        (
            raw.repeat.is_some() && raw.typed.is_none(),
            "`repeat` goes with `type`",
        ),
        (
            raw.name.is_some() && raw.start.is_none(),
            "`as` names a program, so it goes with `start`",
        ),
        (
            raw.to.is_some() && raw.typed.is_none() && raw.signal.is_none(),
            "`to` goes with `type` or `signal`",
        ),
        (
            raw.child.is_some() && raw.signal.is_none(),
            "`child` goes with `signal`",
        ),
    ];
    match rules.iter().find(|(broken, _)| *broken) {
        Some((_, why)) => Err(why.to_string()),
        None => Ok(()),
    }
}

/// The step's action, its names and hosts checked.
fn action(raw: &RawStep, known: &mut Known) -> Result<Action, String> {
    let on = match &raw.on {
        Some(name) => host(name, known.hosts)?,
        None => known.hosts[0].name.clone(),
    };
    let needs_to = |key: &str| raw.to.clone().ok_or(format!("`{key}` needs `to = NAME`"));
    Ok(if let Some(cmd) = &raw.start {
        start(cmd, raw.name.as_ref(), on, known)?
    } else if let Some(line) = &raw.typed {
        let repeat = raw.repeat.unwrap_or(1);
        if !(1..=MAX_REPEAT).contains(&repeat) {
            return Err(format!("`repeat` must be between 1 and {MAX_REPEAT}"));
        }
        Action::Type {
            to: started(&needs_to("type")?, known.names)?,
            line: line.clone(),
            repeat,
        }
    } else if let Some(given) = &raw.close {
        Action::Close {
            names: started(given, known.names)?,
        }
    } else if let Some(sig) = &raw.signal {
        let signal = sig
            .parse::<Signal>()
            .map_err(|_| format!("`{sig}` is not a signal name"))?;
        Action::Signal {
            to: started(&needs_to("signal")?, known.names)?,
            signal,
            children: raw.child.unwrap_or(false),
        }
    } else if let Some(name) = &raw.crash {
        Action::Crash {
            host: host(name, known.hosts)?,
        }
    } else if let Some(name) = &raw.reboot {
        Action::Reboot {
            host: host(name, known.hosts)?,
        }
    } else if let Some(name) = &raw.shutdown {
        Action::Shutdown {
            host: host(name, known.hosts)?,
        }
    } else if let Some(route) = &raw.route {
        Action::Route {
            host: on,
            route: route.parse()?,
        }
    } else {
        Action::None
    })
}

/// `start = "PROGRAM ARGS"`, with `as` naming the copies.
fn start(
    cmd: &str,
    given: Option<&Names>,
    on: String,
    known: &mut Known,
) -> Result<Action, String> {
    let mut words = cmd.split_whitespace().map(str::to_string);
    let program = words
        .next()
        .ok_or("`start` is empty: it needs a program name")?;
    let names = given.map_or(vec![program.clone()], Names::list);
    if names.is_empty() {
        return Err("`as` is an empty list".into());
    }
    for name in &names {
        if known.names.contains(name) {
            return Err(format!(
                "the name `{name}` is taken: give this program another with `as`"
            ));
        }
        known.names.push(name.clone());
    }
    let args: Vec<String> = words.collect();
    for arg in &args {
        narration::check_placeholders(arg, known.hosts)?;
    }
    Ok(Action::Start {
        names,
        program,
        args,
        host: on,
    })
}

/// The names, each of a program an earlier step started.
fn started(given: &Names, names: &[String]) -> Result<Vec<String>, String> {
    let list = given.list();
    if list.is_empty() {
        return Err("an empty list of names".into());
    }
    match list.iter().find(|n| !names.contains(n)) {
        Some(n) => Err(format!("`{n}` is not a program started by an earlier step")),
        None => Ok(list),
    }
}

/// A host of the run.
fn host(name: &str, hosts: &[HostSpec]) -> Result<String, String> {
    if hosts.iter().any(|h| h.name == name) {
        Ok(name.to_string())
    } else {
        let all: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        Err(format!(
            "no host `{name}`; the hosts are {}",
            all.join(", ")
        ))
    }
}
