//! ch5-host-crash: the server host crashes while a client is connected (UNP §5.14).
//!
//! The lesson has no program of its own: its scenario runs ch5-sigchld's `tcpserv04` and
//! ch5-fork-server's `tcpcli01` unchanged. What it changes from ch5-sigpipe is what dies: there
//! the server's process died and its kernel sent a FIN; here the whole host stops, so nothing
//! is sent, and the client's TCP finds out only by retransmitting until it gives up. `str_cli`
//! then reports readline's error, `readline error: Connection timed out`. The crate exists so
//! that the lesson has a folder and a scenario like every other one.
