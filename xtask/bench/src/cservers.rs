//! The bench's own C echo servers (`c/*.c` beside this package), built with `cc -O2` when
//! `--c-servers` asks: the book's four designs of chapters 5 and 6 written in C with the
//! book's interface (no options, port 9877, the wildcard address), each measured beside the
//! course's Rust program of the same name.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::design::Design;

/// The C servers, each with its Rust counterpart: the program of the same name.
pub const SERVERS: [&str; 4] = ["tcpserv01", "tcpserv04", "tcpservselect01", "tcpservpoll01"];

/// The folder of the C sources.
pub fn sources() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("c")
}

/// Compile one server with `cc -O2` into `out`; return the executable's path.
pub fn compile(name: &str, out: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot make {}: {e}", out.display()))?;
    let exe = out.join(name);
    let source = sources().join(format!("{name}.c"));
    let status = Command::new("cc")
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&exe)
        .arg(&source)
        .status()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cc could not build {} ({status})",
            source.display()
        ));
    }
    Ok(exe)
}

/// Build every C server into `out` and return the rows to add: the fork server that never
/// reaps (tcpserv01) in Rust, which the course's rows lack, then each C server as `NAME-c`.
pub fn designs(out: &Path) -> Result<Vec<Design>, String> {
    let mut rows = vec![Design::workspace("tcpserv01", "tcpserv01", "§5.2")];
    for name in SERVERS {
        rows.push(Design::path(&format!("{name}-c"), compile(name, out)?));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_c_server_compiles_without_a_warning() {
        let out = std::env::temp_dir().join(format!("unp-bench-c-{}", std::process::id()));
        for name in SERVERS {
            let exe = compile(name, &out).expect("compiles");
            assert!(exe.is_file());
        }
        let _ = std::fs::remove_dir_all(&out);
    }
}
