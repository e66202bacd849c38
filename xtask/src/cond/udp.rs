//! `{ udp = N }`: how many UDP sockets the scenario has.

use super::words::n_of;
use super::{Cond, Condition, Ctx, Keys, Kind, holds};

pub const KIND: Kind = Kind {
    key: "udp",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Udp {
    n: usize,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    Ok(Box::new(Udp {
        n: k.subject_count()?,
    }))
}

impl Condition for Udp {
    fn describe(&self, _ctx: &Ctx) -> String {
        n_of(self.n, "UDP socket", "UDP sockets")
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let u = ctx
            .snap
            .socks
            .iter()
            .filter(|s| s.proto.starts_with("udp"))
            .count();
        holds(u == self.n, n_of(u, "UDP socket", "UDP sockets"))
    }
}
