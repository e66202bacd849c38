//! The conditions' parsing: each kind's keys and their mistakes, from a table as a scenario
//! writes it.

use super::*;
use crate::net::ns::HostSpec;

fn scope_parse(text: &str) -> Result<Cond, String> {
    let names = ["serv".to_string(), "cli".to_string()];
    let hosts = [HostSpec {
        name: "host".into(),
        addr: std::net::Ipv4Addr::LOCALHOST,
        sysctls: Vec::new(),
        routes: Vec::new(),
    }];
    let scope = Scope {
        names: &names,
        hosts: &hosts,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
    parse(&table, &scope)
}

#[test]
fn every_kind_parses_its_own_form() {
    for text in [
        r#"printed = "listening on"
by = "serv""#,
        r#"state = "S"
of = "serv"
wchan = "inet_csk_accept""#,
        "zombies = 0\nof = \"serv\"",
        "children = 2\nof = \"serv\"\nstat = \"T\"",
        "exited = \"cli\"\ncode = 0",
        "exited = \"cli\"\nsignal = \"SIGPIPE\"",
        "running = \"serv\"",
        "listening = \"serv\"",
        "tcp = \"LISTEN\"\ncount = 1\nrecvq = 0\nside = \"server\"",
        "udp = 1",
        "packet = \"SYN-ACK\"\nfrom = \"host\"\ncount = 1",
        "fds = 2\nof = \"serv\"\ntcp = \"ESTABLISHED\"",
        "refs = 2\ntcp = \"ESTABLISHED\"\nside = \"server\"",
        "sig = \"SIGINT\"\nof = \"serv\"\nis = \"pending\"\nin = \"ShdPnd\"",
        "unix = \"LISTENING\"\ncount = 1",
        "counter = \"Udp.InDatagrams + Udp.RcvbufErrors\"\nmin = 1",
        "orphans = 0",
    ] {
        scope_parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
}

#[test]
fn mistakes_name_the_key() {
    let cases = [
        (
            "tcp = \"LISTEN\"\nof = \"serv\"",
            "`of` does not go with `tcp`",
        ),
        ("zombies = 1", "`zombies` needs `of = NAME`"),
        ("zombies = 1\nof = \"nobody\"", "`nobody` is not a program"),
        (
            "zombies = -1\nof = \"serv\"",
            "`zombies = -1` is out of range",
        ),
        (
            "count = 1",
            "a condition takes exactly one of printed, state",
        ),
        ("tcp = \"LISTEN\"\nudp = 1", "exactly one of"),
        ("tcp = \"LISTENING\"", "is not a TCP state"),
        ("packet = \"SYNACK\"", "is not a packet kind"),
        (
            "exited = \"cli\"\ncode = 1\nsignal = \"SIGTERM\"",
            "not both",
        ),
        (
            "sig = \"SIGINT\"\nof = \"serv\"\nis = \"blocked\"\nin = \"SigPnd\"",
            "`in` goes with",
        ),
        ("refs = 2", "`refs` needs `tcp = STATE`"),
        (
            "printed = 3\nby = \"serv\"",
            "`printed` is a integer: give text",
        ),
        ("counter = \"Udp\"\nmin = 1", "is not GROUP.NAME"),
        (
            "state = \"X\"\nof = \"serv\"",
            "is not one of R, S, D, T, t, Z",
        ),
    ];
    for (text, want) in cases {
        let err = scope_parse(text).expect_err(text);
        assert!(err.contains(want), "{text}: {err}");
    }
}

#[test]
fn tcp_narrows_fds_and_refs_but_is_the_subject_alone() {
    assert!(scope_parse("fds = 1\nof = \"serv\"\ntcp = \"LISTEN\"").is_ok());
    assert!(scope_parse("tcp = \"LISTEN\"").is_ok());
    let err = scope_parse("fds = 1\nrefs = 1\ntcp = \"LISTEN\"\nof = \"serv\"").unwrap_err();
    assert!(err.contains("exactly one of"), "{err}");
}

#[test]
fn a_listening_line_has_a_form_for_any_program() {
    let printed = scope_parse("printed = \"listening on\"\nby = \"serv\"").unwrap();
    assert!(printed.for_any_program().is_some());
    let other = scope_parse("printed = \"child\"\nby = \"serv\"").unwrap();
    assert!(other.for_any_program().is_none());
}
