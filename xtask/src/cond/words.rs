//! The words the conditions share: counts, lists of names, sides.

use super::Side;
use crate::kernel::SockRow;

/// A count in words: `no zombie child`, `1 zombie child`, `3 zombie children`.
pub fn n_of(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("no {one}"),
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// One name, or `a, b and c each`.
pub fn who(names: &[String]) -> String {
    match names {
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last} each", rest.join(", ")),
        [] => String::new(),
    }
}

/// " on the server's side", for a condition's words.
pub fn side_words(side: Option<Side>) -> &'static str {
    match side {
        None => "",
        Some(Side::Server) => " on the server's side",
        Some(Side::Client) => " on the client's side",
    }
}

/// Whether the socket is on `side` of the connection (either, when None).
pub fn on_side(s: &SockRow, side: Option<Side>, port: u16) -> bool {
    match side {
        None => true,
        Some(Side::Server) => s.local.port() == port,
        Some(Side::Client) => s.foreign.port() == port,
    }
}
