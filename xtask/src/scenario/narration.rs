//! What a step's text may claim: a narration that names a packet has a `packet` condition for
//! it, and a program's arguments use only the placeholders the engine fills.

use crate::cond::Cond;
use crate::net::ns::HostSpec;
use crate::wire::Kind;

/// A narration that names a packet makes a claim about the wire: the step must check it with
/// a `packet` condition of that kind (`count = 0` too, for "no RST comes").
pub(super) fn check<'a>(say: &str, conds: impl Iterator<Item = &'a Cond>) -> Result<(), String> {
    let kinds: Vec<Kind> = conds.filter_map(|c| c.packet()).collect();
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    // Words are split at anything but letters, digits and `_`, so SYN_SENT and FIN_WAIT2, TCP
    // states, are not packets, while SYN-ACK names a SYN.
    let words = say.split(|c: char| !c.is_ascii_alphanumeric() && c != '_');
    for word in words {
        let backed = match word {
            "SYN" => names.iter().any(|k| k.starts_with("SYN")),
            "FIN" | "RST" => names.contains(&word),
            "ICMP" => names.iter().any(|k| k.starts_with("ICMP")),
            _ => true,
        };
        if !backed {
            return Err(format!(
                "the narration names a {word}, but no `packet = \"{word}\"` condition checks it"
            ));
        }
    }
    Ok(())
}

/// Every `{word}` in a program's argument is `{port}`, `{host}`, `{tmp}` or a host's name.
pub(super) fn check_placeholders(arg: &str, hosts: &[HostSpec]) -> Result<(), String> {
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("`{arg}`: a `{{` without its `}}`"));
        };
        let word = &rest[open + 1..open + close];
        if !["port", "host", "tmp"].contains(&word) && !hosts.iter().any(|h| h.name == word) {
            return Err(format!(
                "`{{{word}}}` is neither {{port}}, {{host}}, {{tmp}} nor a host's name"
            ));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}
