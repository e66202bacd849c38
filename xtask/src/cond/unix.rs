//! `{ unix = "LISTENING", count = N }`: Unix-domain sockets in that state (`any`: in any).

use super::words::n_of;
use super::{Cond, Condition, Ctx, Keys, Kind, count_ok, holds};

pub const KIND: Kind = Kind {
    key: "unix",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Unix {
    state: String,
    count: Option<usize>,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    let state = k.subject_text()?;
    if !["LISTENING", "CONNECTED", "any"].contains(&state.as_str()) {
        return Err(format!("`unix = \"{state}\"`: LISTENING, CONNECTED or any"));
    }
    Ok(Box::new(Unix {
        state,
        count: k.count("count")?,
    }))
}

impl Condition for Unix {
    fn describe(&self, _ctx: &Ctx) -> String {
        let n = self.count.map_or("a Unix socket".to_string(), |n| {
            n_of(n, "Unix socket", "Unix sockets")
        });
        match self.state.as_str() {
            "any" => n,
            state => format!("{n} {state}"),
        }
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let n = ctx
            .snap
            .unix
            .iter()
            .filter(|u| self.state == "any" || u.state == self.state)
            .count();
        holds(
            count_ok(n, self.count),
            n_of(n, "such Unix socket", "such Unix sockets"),
        )
    }
}
