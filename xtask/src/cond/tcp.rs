//! `{ tcp = "STATE", side = "server", recvq = N, count = N }`: TCP sockets of the scenario in
//! STATE; side "server" means the local port is the server's port, "client" the foreign one;
//! recvq, only those with N bytes in Recv-Q (for LISTEN: connections not yet accepted).

use super::words::{n_of, on_side, side_words};
use super::{Cond, Condition, Ctx, Keys, Kind, Side, count_ok, holds};

pub const KIND: Kind = Kind {
    key: "tcp",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Tcp {
    state: String,
    side: Option<Side>,
    recvq: Option<u32>,
    count: Option<usize>,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    Ok(Box::new(Tcp {
        state: k.tcp_state("tcp")?.unwrap_or_default(),
        side: k.side()?,
        recvq: k.number::<u32>("recvq")?,
        count: k.count("count")?,
    }))
}

impl Condition for Tcp {
    fn describe(&self, _ctx: &Ctx) -> String {
        let n = self.count.map_or("a TCP socket".to_string(), |n| {
            n_of(n, "TCP socket", "TCP sockets")
        });
        let q = self
            .recvq
            .map_or(String::new(), |q| format!(" with Recv-Q {q}"));
        format!("{n} in {}{}{q}", self.state, side_words(self.side))
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let n = ctx
            .snap
            .socks
            .iter()
            .filter(|s| s.proto.starts_with("tcp") && s.state == self.state)
            .filter(|s| on_side(s, self.side, ctx.port))
            .filter(|s| self.recvq.is_none_or(|q| s.recv_q == q))
            .count();
        let q = self
            .recvq
            .map_or(String::new(), |q| format!(" with Recv-Q {q}"));
        let seen = format!(
            "{} in {}{q}",
            n_of(n, "TCP socket", "TCP sockets"),
            self.state
        );
        holds(count_ok(n, self.count), seen)
    }
}
