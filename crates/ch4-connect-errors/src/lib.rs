//! ch4-connect-errors: the three ways `connect` fails (UNP §4.3), shown with the packets that
//! cause them.
//!
//! The lesson has no program of its own: its scenario runs ch5-fork-server's `tcpcli01`, whose
//! `connect` fails and which reports it as the book's `err_sys` does, `connect error: <strerror>`.
//! What changes from lesson to lesson here is not the code but the other end: no listener (an
//! RST), a router that cannot reach the destination (an ICMP host unreachable), and a host that
//! does not answer at all (SYN retransmissions until the kernel gives up). The crate exists so
//! that the lesson has a folder and a scenario like every other one.
