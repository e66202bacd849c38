//! ch5-host-reboot: the server host crashes and reboots while a client is connected
//! (UNP §5.15).
//!
//! The lesson has no program of its own: its scenario runs ch5-sigchld's `tcpserv04` and
//! ch5-fork-server's `tcpcli01` unchanged. What it changes from ch5-host-crash is that the
//! host comes back before the client sends: the rebooted kernel knows no connection, so it
//! answers the client's segment with an RST, and `str_cli` reports readline's error,
//! `readline error: Connection reset by peer`. The crate exists so that the lesson has a folder
//! and a scenario like every other one.
