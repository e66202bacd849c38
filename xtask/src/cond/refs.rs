//! `{ refs = N, tcp = "STATE", side = "server" }`: each TCP socket in STATE (there is at least
//! one) is referred to by N descriptors of the scenario's processes: 2 after fork.

use super::words::{n_of, on_side, side_words};
use super::{Cond, Condition, Ctx, Keys, Kind, Side, holds};

pub const KIND: Kind = Kind {
    key: "refs",
    narrows: &["tcp"],
    parse,
};

#[derive(Debug)]
struct Refs {
    n: usize,
    state: String,
    side: Option<Side>,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    Ok(Box::new(Refs {
        n: k.subject_count()?,
        state: k.tcp_state("tcp")?.ok_or("`refs` needs `tcp = STATE`")?,
        side: k.side()?,
    }))
}

impl Condition for Refs {
    fn describe(&self, _ctx: &Ctx) -> String {
        format!(
            "each TCP socket in {}{} is held by {}",
            self.state,
            side_words(self.side),
            n_of(self.n, "descriptor", "descriptors")
        )
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let refs: Vec<usize> = ctx
            .snap
            .socks
            .iter()
            .filter(|s| s.proto.starts_with("tcp") && s.state == self.state)
            .filter(|s| on_side(s, self.side, ctx.port))
            .map(|s| ctx.snap.refs(s.inode))
            .collect();
        let shown: Vec<String> = refs.iter().map(usize::to_string).collect();
        let seen = match shown.len() {
            0 => "no such socket".to_string(),
            _ => format!("descriptors per socket: {}", shown.join(", ")),
        };
        holds(!refs.is_empty() && refs.iter().all(|r| *r == self.n), seen)
    }
}
