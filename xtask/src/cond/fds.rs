//! `{ fds = N, of = NAME, tcp = "STATE", side = "server" }`: NAME holds N descriptors on
//! sockets (TCP sockets in STATE, on that side, when given).

use super::words::{n_of, on_side, side_words};
use super::{Cond, Condition, Ctx, Keys, Kind, Side, holds};

pub const KIND: Kind = Kind {
    key: "fds",
    narrows: &["tcp"],
    parse,
};

#[derive(Debug)]
struct Fds {
    of: String,
    n: usize,
    state: Option<String>,
    side: Option<Side>,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    Ok(Box::new(Fds {
        of: k.program("of")?,
        n: k.subject_count()?,
        state: k.tcp_state("tcp")?,
        side: k.side()?,
    }))
}

impl Condition for Fds {
    fn describe(&self, _ctx: &Ctx) -> String {
        let what = match &self.state {
            None => "sockets".to_string(),
            Some(st) => format!("TCP sockets in {st}{}", side_words(self.side)),
        };
        let n = n_of(self.n, "descriptor", "descriptors");
        format!("{} holds {n} on {what}", self.of)
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let pid = ctx.prog(&self.of)?.pid;
        let Some(proc) = ctx.snap.proc(pid) else {
            return Err(format!("no process {}", self.of));
        };
        let mine = proc
            .fds
            .iter()
            .filter(|f| matches!(f.kind.as_str(), "TCP" | "UDP" | "unix" | "sock"))
            .filter(|f| match &self.state {
                None => true,
                Some(st) => ctx.snap.socks.iter().any(|s| {
                    s.inode == f.node && s.state == *st && on_side(s, self.side, ctx.port)
                }),
            })
            .count();
        holds(
            mine == self.n,
            n_of(mine, "such descriptor", "such descriptors"),
        )
    }

    fn hopeless(&self, ctx: &Ctx) -> Option<String> {
        ctx.ended(&self.of)
    }
}
