//! Which servers a run measures: the course's four designs, in the order the course meets
//! them, then any executable given with `--server NAME=PATH` (or the bench's own C servers with
//! `--c-servers`), each one more row of the same table.

use std::path::PathBuf;

/// The row every ratio is taken against, as the book's table measures against its own.
pub const BASE: &str = "fork";

/// A server: the row's name, the program that is it, where the book has it, how it starts.
#[derive(Clone, Debug)]
pub struct Design {
    pub name: String,
    /// The program's name (a workspace program) or its file's name (any executable).
    pub program: String,
    pub book: String,
    pub start: Start,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Start {
    /// A program of this workspace, built in release and started with `--port 0`, which says
    /// `listening on ADDR:PORT`. The package is None while no crate of the workspace has it.
    Workspace { package: Option<String> },
    /// Any executable, started with no options: it listens on the book's port, 9877.
    Path(PathBuf),
}

impl Design {
    /// A workspace program's row, its package looked up in the workspace.
    pub fn workspace(name: &str, program: &str, book: &str) -> Design {
        Design {
            name: name.into(),
            program: program.into(),
            book: book.into(),
            start: Start::Workspace {
                package: xtask::lessons::package_of(program),
            },
        }
    }

    /// The row of an executable given by path.
    pub fn path(name: &str, path: PathBuf) -> Design {
        let program = path.file_name().map_or_else(
            || path.display().to_string(),
            |f| f.to_string_lossy().into_owned(),
        );
        Design {
            name: name.into(),
            program,
            book: String::new(),
            start: Start::Path(path),
        }
    }

    /// Whether there is something to measure (a workspace program not written yet is not).
    pub fn built(&self) -> bool {
        !matches!(self.start, Start::Workspace { package: None })
    }

    /// The workspace package that builds it, if it is a workspace program.
    pub fn package(&self) -> Option<&str> {
        match &self.start {
            Start::Workspace { package } => package.as_deref(),
            Start::Path(_) => None,
        }
    }
}

/// The course's designs.
pub fn course() -> Vec<Design> {
    vec![
        Design::workspace("iterative", "iterserv", "§4.8"),
        Design::workspace("fork", "tcpserv04", "§5.10"),
        Design::workspace("select", "tcpservselect01", "§6.8"),
        Design::workspace("poll", "tcpservpoll01", "§6.11"),
    ]
}

/// The row a row named `P-c` is compared with: the row named P, else the workspace program P.
pub fn counterpart(designs: &[Design], d: usize) -> Option<usize> {
    let program = designs[d].name.strip_suffix("-c")?;
    let named = designs.iter().position(|r| r.name == program);
    named.or_else(|| {
        designs
            .iter()
            .position(|r| r.package().is_some() && r.program == program)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_c_row_finds_its_rust_program() {
        let mut designs = course();
        designs.push(Design::path(
            "tcpserv04-c",
            PathBuf::from("/tmp/x/tcpserv04"),
        ));
        designs.push(Design::path("other", PathBuf::from("/tmp/other")));
        designs.push(Design::path("other-c", PathBuf::from("/tmp/c/other")));
        assert_eq!(counterpart(&designs, 4), Some(1));
        assert_eq!(counterpart(&designs, 5), None);
        assert_eq!(counterpart(&designs, 6), Some(5));
        assert_eq!(designs[4].program, "tcpserv04");
        assert!(designs[4].built() && designs[4].package().is_none());
    }
}
