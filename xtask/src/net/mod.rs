//! The run's network: its hosts as network namespaces joined by a switch (`ns`), the packets
//! captured on every interface of them (`capture`), and the two together as the run's lab.

pub mod capture;
pub mod lab;
pub mod ns;

use std::io;

/// Enter what a run's namespaces need: without root, a user namespace of the runner's own
/// (mapping the caller's uid), in which it may make network namespaces. Must be called while
/// the process has one thread.
pub fn own_namespaces() -> io::Result<()> {
    // A test hook: the tests play the fallback on a machine that can make namespaces.
    if std::env::var_os("XTASK_TEST_NO_NAMESPACES").is_some() {
        return Err(io::Error::other("XTASK_TEST_NO_NAMESPACES is set"));
    }
    // Once per process: a second play (`check --watch`) is already in the namespace, and may
    // have threads by then, which unshare(CLONE_NEWUSER) refuses.
    static ENTERED: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    if ENTERED.get().is_some() {
        return Ok(());
    }
    if !nix::unistd::geteuid().is_root() {
        ns::own_user_namespace()?;
    }
    let _ = ENTERED.set(());
    Ok(())
}

/// The one rule for running without namespaces of the run's own: said, and allowed, except
/// under CI=true, where a machine that cannot make them is a broken machine. Ok is the reason
/// to print beside the fallback; Err, the refusal.
pub fn may_fall_back(e: &io::Error) -> Result<String, String> {
    let why = format!("cannot make network namespaces here ({e})");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        Err(format!("{why}; CI=true refuses to fall back"))
    } else {
        Ok(why)
    }
}
