//! `{ counter = "Udp.InDatagrams", on = HOST, min = N, max = N }`: a kernel counter of the
//! host's network stack (/proc/net/snmp in its namespace), within bounds. A sum of counters,
//! `"Udp.InDatagrams + Udp.RcvbufErrors"`, checks what they add up to.

use super::{Cond, Condition, Ctx, Keys, Kind, holds};

pub const KIND: Kind = Kind {
    key: "counter",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Counter {
    name: String,
    host: String,
    min: Option<u64>,
    max: Option<u64>,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    let counter = k.subject_text()?;
    // One counter, or a sum of them: "Udp.InDatagrams + Udp.RcvbufErrors".
    let bad = counter.split('+').map(str::trim).any(|part| {
        part.split_once('.')
            .is_none_or(|(a, b)| a.is_empty() || b.is_empty() || b.contains(' '))
    });
    if bad {
        return Err(format!(
            "counter `{counter}` is not GROUP.NAME (as Udp.InDatagrams) or a sum of them"
        ));
    }
    let (min, max) = (k.number::<u64>("min")?, k.number::<u64>("max")?);
    if min.is_none() && max.is_none() {
        return Err("`counter` needs `min = N`, `max = N` or both".into());
    }
    Ok(Box::new(Counter {
        name: counter,
        host: k.host_or_first("on")?,
        min,
        max,
    }))
}

impl Condition for Counter {
    fn describe(&self, _ctx: &Ctx) -> String {
        let (host, name) = (&self.host, &self.name);
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{host}'s {name} is between {a} and {b}"),
            (Some(a), None) => format!("{host}'s {name} is at least {a}"),
            (None, Some(b)) => format!("{host}'s {name} is at most {b}"),
            (None, None) => format!("{host}'s {name}"),
        }
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let Some(lab) = ctx.lab else {
            return Ok(()); // not run: the report says so
        };
        let host = &self.host;
        let counters = lab.counters(host).map_err(|e| e.to_string())?;
        let v = crate::net::lab::counter_sum(&counters, &self.name)
            .map_err(|missing| format!("{host} has no counter {missing}"))?;
        holds(
            self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m),
            format!("{v}"),
        )
    }

    fn needs_own_network(&self) -> bool {
        true
    }
}
