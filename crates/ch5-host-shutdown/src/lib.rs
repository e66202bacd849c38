//! ch5-host-shutdown: the server host is shut down while a client is connected (UNP §5.16).
//!
//! The lesson has no program of its own: its scenario runs ch5-sigchld's `tcpserv04` and
//! ch5-fork-server's `tcpcli01` unchanged. What it changes from ch5-host-crash is how the host
//! goes: init sends every process SIGTERM, whose default action ends them, and the kernel, still
//! running, closes their sockets as for any process that exits, with a FIN. The client finds out
//! as in ch5-sigpipe: "server terminated prematurely". The crate exists so that the lesson has a
//! folder and a scenario like every other one.
