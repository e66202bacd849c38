//! The book the course follows, as data: the sections and figures of *Unix Network Programming,
//! Vol. 1* (3rd ed.) that the course cites, each with its number and title, and the check that
//! every `§N.M` and `Figure N.M` written in the course names one of them.
//!
//! `cargo xtask notes --check` runs [`check_text`] on the notes, the narrations and guards of
//! every scenario, the lesson programs and the README. A reference that is not in the tables
//! below is a mistake (a section of the 2nd edition, a figure one off); a reference followed by
//! what it is about in parentheses, `§4.2 (socket)`, must fit the section's title, so that
//! `§5.9 (wait and waitpid)` is caught: that is §5.10's title. To cite a section or figure
//! not listed yet, add it here from the book's table of contents, with its title.

/// The sections, in the book's order: number and title, as in the 3rd edition's contents.
pub const SECTIONS: &[(&str, &str)] = &[
    ("1.2", "A Simple Daytime Client"),
    ("1.5", "A Simple Daytime Server"),
    ("2.1", "Introduction"),
    ("2.2", "The Big Picture"),
    ("2.3", "User Datagram Protocol (UDP)"),
    ("2.4", "Transmission Control Protocol (TCP)"),
    ("2.5", "Stream Control Transmission Protocol (SCTP)"),
    ("2.6", "TCP Connection Establishment and Termination"),
    ("2.7", "TIME_WAIT State"),
    ("2.8", "SCTP Association Establishment and Termination"),
    ("2.9", "Port Numbers"),
    ("2.10", "TCP Port Numbers and Concurrent Servers"),
    ("2.11", "Buffer Sizes and Limitations"),
    ("2.12", "Standard Internet Services"),
    ("2.13", "Protocol Usage by Common Internet Applications"),
    ("2.14", "Summary"),
    ("3.2", "Socket Address Structures"),
    ("3.3", "Value-Result Arguments"),
    ("3.4", "Byte Ordering Functions"),
    ("3.9", "readn, writen, and readline Functions"),
    ("4.1", "Introduction"),
    ("4.2", "socket Function"),
    ("4.3", "connect Function"),
    ("4.4", "bind Function"),
    ("4.5", "listen Function"),
    ("4.6", "accept Function"),
    ("4.7", "fork and exec Functions"),
    ("4.8", "Concurrent Servers"),
    ("4.9", "close Function"),
    ("4.10", "getsockname and getpeername Functions"),
    ("4.11", "Summary"),
    ("5.1", "Introduction"),
    ("5.2", "TCP Echo Server: main Function"),
    ("5.3", "TCP Echo Server: str_echo Function"),
    ("5.4", "TCP Echo Client: main Function"),
    ("5.5", "TCP Echo Client: str_cli Function"),
    ("5.6", "Normal Startup"),
    ("5.7", "Normal Termination"),
    ("5.8", "POSIX Signal Handling"),
    ("5.9", "Handling SIGCHLD Signals"),
    ("5.10", "wait and waitpid Functions"),
    ("5.11", "Connection Abort before accept Returns"),
    ("5.12", "Termination of Server Process"),
    ("5.13", "SIGPIPE Signal"),
    ("5.14", "Crashing of Server Host"),
    ("5.15", "Crashing and Rebooting of Server Host"),
    ("5.16", "Shutdown of Server Host"),
    ("5.17", "Summary of TCP Example"),
    ("5.18", "Data Format"),
    ("5.19", "Summary"),
    ("6.1", "Introduction"),
    ("6.2", "I/O Models"),
    ("6.3", "select Function"),
    ("6.4", "str_cli Function (Revisited)"),
    ("6.5", "Batch Input and Buffering"),
    ("6.6", "shutdown Function"),
    ("6.7", "str_cli Function (Revisited Again)"),
    ("6.8", "TCP Echo Server (Revisited)"),
    ("6.9", "pselect Function"),
    ("6.10", "poll Function"),
    ("6.11", "TCP Echo Server (Revisited Again)"),
    ("6.12", "Summary"),
    ("7.1", "Introduction"),
    ("7.2", "getsockopt and setsockopt Functions"),
    (
        "7.3",
        "Checking if an Option Is Supported and Obtaining the Default",
    ),
    ("7.4", "Socket States"),
    ("7.5", "Generic Socket Options"),
    ("7.6", "IPv4 Socket Options"),
    ("7.7", "ICMPv6 Socket Option"),
    ("7.8", "IPv6 Socket Options"),
    ("7.9", "TCP Socket Options"),
    ("7.10", "SCTP Socket Options"),
    ("7.11", "fcntl Function"),
    ("7.12", "Summary"),
    ("8.1", "Introduction"),
    ("8.2", "recvfrom and sendto Functions"),
    ("8.3", "UDP Echo Server: main Function"),
    ("8.4", "UDP Echo Server: dg_echo Function"),
    ("8.5", "UDP Echo Client: main Function"),
    ("8.6", "UDP Echo Client: dg_cli Function"),
    ("8.7", "Lost Datagrams"),
    ("8.8", "Verifying Received Response"),
    ("8.9", "Server Not Running"),
    ("8.10", "Summary of UDP Example"),
    ("8.11", "connect Function with UDP"),
    ("8.12", "dg_cli Function (Revisited)"),
    ("8.13", "Lack of Flow Control with UDP"),
    ("8.14", "Determining Outgoing Interface with UDP"),
    ("8.15", "TCP and UDP Echo Server Using select"),
    ("8.16", "Summary"),
    ("11.1", "Introduction"),
    ("11.2", "Domain Name System (DNS)"),
    ("11.3", "gethostbyname Function"),
    ("11.4", "gethostbyaddr Function"),
    ("11.5", "getservbyname and getservbyport Functions"),
    ("11.6", "getaddrinfo Function"),
    ("11.7", "gai_strerror Function"),
    ("11.8", "freeaddrinfo Function"),
    ("11.9", "getaddrinfo Function: IPv6"),
    ("11.10", "getaddrinfo Function: Examples"),
    ("11.11", "host_serv Function"),
    ("11.12", "tcp_connect Function"),
    ("11.13", "tcp_listen Function"),
    ("11.14", "udp_client Function"),
    ("11.15", "udp_connect Function"),
    ("11.16", "udp_server Function"),
    ("11.17", "getnameinfo Function"),
    ("11.18", "Re-entrant Functions"),
    ("11.19", "gethostbyname_r and gethostbyaddr_r Functions"),
    ("11.20", "Obsolete IPv6 Address Lookup Functions"),
    ("11.21", "Other Networking Information"),
    ("11.22", "Summary"),
    ("14.1", "Introduction"),
    ("14.2", "Socket Timeouts"),
    ("14.3", "recv and send Functions"),
    ("14.4", "readv and writev Functions"),
    ("14.5", "recvmsg and sendmsg Functions"),
    ("14.6", "Ancillary Data"),
    ("14.7", "How Much Data Is Queued?"),
    ("14.8", "Sockets and Standard I/O"),
    ("14.9", "Advanced Polling"),
    ("14.10", "Summary"),
    ("15.1", "Introduction"),
    ("15.2", "Unix Domain Socket Address Structure"),
    ("15.3", "socketpair Function"),
    ("15.4", "Socket Functions"),
    ("15.5", "Unix Domain Stream Client/Server"),
    ("15.6", "Unix Domain Datagram Client/Server"),
    ("15.7", "Passing Descriptors"),
    ("15.8", "Receiving Sender Credentials"),
    ("15.9", "Summary"),
    ("16.1", "Introduction"),
    (
        "16.2",
        "Nonblocking Reads and Writes: str_cli Function (Revisited)",
    ),
    ("16.3", "Nonblocking connect"),
    ("16.4", "Nonblocking connect: Daytime Client"),
    ("16.5", "Nonblocking connect: Web Client"),
    ("16.6", "Nonblocking accept"),
    ("16.7", "Summary"),
    ("22.5", "Adding Reliability to a UDP Application"),
    ("30.1", "Introduction"),
    ("30.2", "TCP Client Alternatives"),
    ("30.3", "TCP Test Client"),
    ("30.4", "TCP Iterative Server"),
    ("30.5", "TCP Concurrent Server, One Child per Client"),
    ("30.6", "TCP Preforked Server, No Locking Around accept"),
    ("30.7", "TCP Preforked Server, File Locking Around accept"),
    ("30.8", "TCP Preforked Server, Thread Locking Around accept"),
    ("30.9", "TCP Preforked Server, Descriptor Passing"),
    ("30.10", "TCP Concurrent Server, One Thread per Client"),
    ("30.11", "TCP Prethreaded Server, per-Thread accept"),
    ("30.12", "TCP Prethreaded Server, Main Thread accept"),
    ("30.13", "Summary"),
];

/// The figures the course cites, and no other, so that a figure one off fails: number and what
/// the figure shows.
pub const FIGURES: &[(&str, &str)] = &[
    ("1.5", "TCP daytime client"),
    ("2.5", "Packet exchange for TCP connection"),
    ("3.17", "readline function: reads one byte at a time"),
    ("3.18", "Better version of readline function"),
    ("4.1", "Socket functions for elementary TCP client/server"),
    (
        "4.6",
        "Result when specifying IP address and/or port number to bind",
    ),
    (
        "4.10",
        "Actual number of queued connections for values of backlog",
    ),
    (
        "4.11",
        "Daytime server that prints client IP address and port",
    ),
    (
        "4.17",
        "Status of client/server after parent and child close appropriate sockets",
    ),
    ("4.18", "Example of inetd spawning a server"),
    ("5.2", "TCP echo server"),
    ("5.3", "str_echo function: echoes data on a socket"),
    ("5.4", "TCP echo client"),
    ("5.5", "str_cli function: client processing loop"),
    ("5.7", "Version of SIGCHLD signal handler that calls wait"),
    (
        "5.9",
        "TCP client that establishes five connections with server",
    ),
    (
        "5.11",
        "Final (correct) version of sig_chld function that calls waitpid",
    ),
    (
        "5.12",
        "Final (correct) version of TCP server that handles an error of EINTR from accept",
    ),
    (
        "5.13",
        "Receiving an RST for an ESTABLISHED connection before accept is called",
    ),
    ("5.14", "str_cli that calls writen twice"),
    ("6.9", "Implementation of str_cli function using select"),
    (
        "6.13",
        "str_cli function using select that handles EOF correctly",
    ),
    (
        "6.21",
        "TCP server using a single process and select: initialization",
    ),
    ("6.22", "TCP server using a single process and select: loop"),
    ("6.25", "First half of TCP server using poll"),
    ("6.26", "Second half of TCP server using poll"),
    ("8.3", "UDP echo server"),
    ("8.4", "dg_echo function: echo lines on a datagram socket"),
    ("8.7", "UDP echo client"),
    ("8.8", "dg_cli function: client processing loop"),
    (
        "8.9",
        "Version of dg_cli that verifies returned socket address",
    ),
    ("8.17", "dg_cli function that calls connect"),
    (
        "8.19",
        "dg_cli function that writes a fixed number of datagrams to the server",
    ),
    ("8.20", "dg_echo function that counts received datagrams"),
    (
        "8.22",
        "dg_echo function that increases the size of the socket receive queue",
    ),
    (
        "14.5",
        "dg_cli function that uses SO_RCVTIMEO to set a timeout",
    ),
    ("15.2", "Bind of pathname to a Unix domain socket"),
    ("15.3", "Unix domain stream protocol echo server"),
    ("15.4", "Unix domain stream protocol echo client"),
    ("15.5", "Unix domain datagram protocol echo server"),
    ("15.6", "Unix domain datagram protocol echo client"),
    (
        "30.1",
        "Timing comparisons of the various servers discussed in this chapter",
    ),
];

/// The title of section `number` ("14.3"), if the course knows it.
pub fn section(number: &str) -> Option<&'static str> {
    SECTIONS.iter().find(|(n, _)| *n == number).map(|(_, t)| *t)
}

/// What figure `number` shows, if the course knows it.
pub fn figure(number: &str) -> Option<&'static str> {
    FIGURES.iter().find(|(n, _)| *n == number).map(|(_, t)| *t)
}

/// Every section and figure reference in `text` that is not in the book's tables, or whose
/// parenthesised subject does not fit the title, as problems prefixed with `shown`.
pub fn check_text(text: &str, shown: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let at = format!("{shown}:{}", line_no + 1);
        for (number, subject) in section_refs(line) {
            match section(&number) {
                None => problems.push(format!(
                    "{at}: §{number} is not a section of the book's 3rd edition that the course \
                     knows (xtask/src/book.rs)"
                )),
                Some(title) => {
                    if let Some(subject) = subject.filter(|s| !fits(s, title)) {
                        problems.push(format!("{at}: §{number} is \"{title}\", not \"{subject}\""));
                    }
                }
            }
        }
        for number in figure_refs(line) {
            if figure(&number).is_none() {
                problems.push(format!(
                    "{at}: Figure {number} is not a figure of the book's 3rd edition that the \
                     course knows (xtask/src/book.rs)"
                ));
            }
        }
    }
    problems
}

/// `N.M` at the start of `s`, and the rest after it.
fn number(s: &str) -> Option<(String, &str)> {
    let major = s.chars().take_while(char::is_ascii_digit).count();
    if major == 0 || !s[major..].starts_with('.') {
        return None;
    }
    let minor = s[major + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    if minor == 0 {
        return None;
    }
    let end = major + 1 + minor;
    Some((s[..end].to_string(), &s[end..]))
}

/// The numbers a reference starting at `s` names: `4.2`, a range `4.2–4.10` (every section
/// between), a list `6.3–6.7, 6.10` or `8.19, 8.20 and 8.22`; and the text after them.
fn numbers(s: &str) -> (Vec<String>, &str) {
    let mut found = Vec::new();
    let mut rest = s;
    let Some((first, after)) = number(rest) else {
        return (found, rest);
    };
    found.push(first);
    rest = after;
    loop {
        let next = ["–", "-", ", ", " and "]
            .iter()
            .find_map(|sep| rest.strip_prefix(sep).map(|r| (*sep, r)));
        let Some((sep, after_sep)) = next else { break };
        let Some((n, after)) = number(after_sep) else {
            break;
        };
        if sep == "–" || sep == "-" {
            found.extend(between(found.last().expect("one found"), &n));
        }
        found.push(n);
        rest = after;
    }
    (found, rest)
}

/// The sections strictly between `a` and `b` of the same chapter (`4.2`, `4.5`: 4.3, 4.4).
fn between(a: &str, b: &str) -> Vec<String> {
    let parse = |s: &str| -> Option<(u32, u32)> {
        let (x, y) = s.split_once('.')?;
        Some((x.parse().ok()?, y.parse().ok()?))
    };
    match (parse(a), parse(b)) {
        (Some((ca, sa)), Some((cb, sb))) if ca == cb && sa < sb => {
            (sa + 1..sb).map(|s| format!("{ca}.{s}")).collect()
        }
        _ => Vec::new(),
    }
}

/// Each section a line cites, with the parenthesised subject written right after a single
/// reference, `§4.2 (socket)`.
fn section_refs(line: &str) -> Vec<(String, Option<String>)> {
    let mut refs = Vec::new();
    for (i, _) in line.match_indices('§') {
        let (found, rest) = numbers(&line[i + '§'.len_utf8()..]);
        let subject = match found.as_slice() {
            [_] => rest
                .strip_prefix(" (")
                .and_then(|r| r.split(')').next())
                .map(str::to_string),
            _ => None,
        };
        for (k, n) in found.into_iter().enumerate() {
            refs.push((n, if k == 0 { subject.clone() } else { None }));
        }
    }
    refs
}

/// Each figure a line cites: `Figure 4.6`, `Figures 15.5 and 15.6`, `figure 8.9`.
fn figure_refs(line: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let lower = line.to_ascii_lowercase();
    for (i, _) in lower.match_indices("figure") {
        if lower[..i].ends_with(|c: char| c.is_ascii_alphabetic()) {
            continue; // "configure"
        }
        let rest = &line[i + "figure".len()..];
        let rest = rest.strip_prefix('s').unwrap_or(rest);
        if let Some(rest) = rest.strip_prefix(' ') {
            refs.extend(numbers(rest).0);
        }
    }
    refs
}

/// Whether the subject written beside a reference fits its title: the subject's first part
/// (before a comma, colon or semicolon), its backquotes dropped, has every word of its own
/// (not `the`, `a`, ...) among the title's words, singular or plural.
fn fits(subject: &str, title: &str) -> bool {
    let first = subject.split([',', ':', ';']).next().unwrap_or(subject);
    // A subject that is another reference or a file is not a title: `§5.13 (Figure 5.14)`.
    if first.contains("Figure") || first.contains('§') || first.contains(".rs") {
        return true;
    }
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(|w| w.to_lowercase())
            .map(|w| w.strip_suffix('s').map_or(w.clone(), str::to_string))
            .collect()
    };
    const SMALL: &[&str] = &[
        "the", "a", "an", "of", "it", "its", "on", "in", "for", "with",
    ];
    let title = words(title);
    words(first)
        .iter()
        .filter(|w| !SMALL.contains(&w.as_str()))
        .all(|w| title.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_references_pass_and_unknown_ones_fail() {
        let good = "See §14.3 (recv and send), §4.2–4.10, §6.3–6.7, 6.10 and Figure 4.6.\n\
                    Figures 8.19, 8.20 and 8.22; figure 15.5.";
        assert_eq!(check_text(good, "note"), Vec::<String>::new());
        let bad = check_text("the flags are §14.11's", "note");
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].starts_with("note:1: §14.11"), "{bad:?}");
    }

    #[test]
    fn a_missing_figure_fails() {
        let bad = check_text("ok\nbind's four cases (Figure 4.9)", "note");
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].contains("note:2: Figure 4.9"), "{bad:?}");
        let socket_table = check_text("bind's four cases (Figure 4.5)", "note");
        assert_eq!(
            socket_table.len(),
            1,
            "Figure 4.5 is socket's: {socket_table:?}"
        );
        let list = check_text("Figures 8.19, 8.21 and 8.22", "note");
        assert_eq!(list.len(), 1, "8.21 is not cited: {list:?}");
    }

    #[test]
    fn a_range_names_every_section_between() {
        assert_eq!(numbers("4.2–4.4 x").0, ["4.2", "4.3", "4.4"]);
        assert_eq!(numbers("6.3-6.5, 6.10.").0, ["6.3", "6.4", "6.5", "6.10"]);
        assert!(numbers("4 and").0.is_empty());
        let bad = check_text("§15.2–15.11", "n");
        assert_eq!(bad.len(), 2, "15.10 and 15.11 are not sections: {bad:?}");
    }

    #[test]
    fn a_subject_that_does_not_fit_the_title_fails() {
        let bad = check_text("§5.9 (`wait` and `waitpid`)", "note");
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].contains("Handling SIGCHLD Signals"), "{bad:?}");
        let good = "§5.10 (`wait` and `waitpid`), §4.10 (`getsockname`, `getpeername`), \
                    §4.8 (concurrent servers), §6.8 (Figure 6.21), §11.13 (`tcp_listen`)";
        assert_eq!(check_text(good, "note"), Vec::<String>::new());
        assert_eq!(check_text("§11.12 (`tcp_listen`)", "n").len(), 1);
    }

    #[test]
    fn the_tables_have_no_duplicate_and_every_title() {
        for table in [SECTIONS, FIGURES] {
            for (i, (n, t)) in table.iter().enumerate() {
                assert!(number(n).is_some_and(|(_, r)| r.is_empty()), "{n}");
                assert!(!t.is_empty(), "{n}");
                assert!(!table[..i].iter().any(|(m, _)| m == n), "{n} twice");
            }
        }
        assert_eq!(section("14.7"), Some("How Much Data Is Queued?"));
        assert_eq!(section("11.12"), Some("tcp_connect Function"));
    }
}
