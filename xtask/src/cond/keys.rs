//! Reading a condition's keys: each kind asks for the keys it takes, by type, and whatever the
//! table holds that no one asked for is a mistake worth naming.

use std::cell::RefCell;
use std::collections::BTreeSet;

use nix::sys::signal::Signal;

use super::Scope;
use crate::kernel::tcp_states;

/// Which end of a connection: the server's port is local (`server`) or foreign (`client`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Side {
    Server,
    Client,
}

/// One condition's table, read key by key.
pub struct Keys<'a> {
    table: &'a toml::Table,
    /// The key that names the condition's kind, for the errors.
    pub subject: &'static str,
    scope: &'a Scope<'a>,
    used: RefCell<BTreeSet<String>>,
}

impl<'a> Keys<'a> {
    pub fn new(table: &'a toml::Table, subject: &'static str, scope: &'a Scope<'a>) -> Keys<'a> {
        Keys {
            table,
            subject,
            scope,
            used: RefCell::new(BTreeSet::from([subject.to_string()])),
        }
    }

    /// Every key was asked for by the kind: anything else does not go with it.
    pub fn finish(&self) -> Result<(), String> {
        let used = self.used.borrow();
        match self.table.keys().find(|k| !used.contains(*k)) {
            Some(key) => Err(format!("`{key}` does not go with `{}`", self.subject)),
            None => Ok(()),
        }
    }

    fn get(&self, key: &str) -> Option<&'a toml::Value> {
        self.used.borrow_mut().insert(key.to_string());
        self.table.get(key)
    }

    /// A text value.
    pub fn text(&self, key: &str) -> Result<Option<String>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(format!("`{key}` is a {}: give text", v.type_str())),
        }
    }

    /// A whole number that is not negative, and fits `T`.
    pub fn number<T: TryFrom<i64>>(&self, key: &str) -> Result<Option<T>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(toml::Value::Integer(n)) => T::try_from(*n)
                .map(Some)
                .map_err(|_| format!("`{key} = {n}` is out of range")),
            Some(v) => Err(format!("`{key}` is a {}: give a number", v.type_str())),
        }
    }

    /// A count: a whole number, at least 0.
    pub fn count(&self, key: &str) -> Result<Option<usize>, String> {
        self.number::<usize>(key)
    }

    /// The subject's own value, which is there: `zombies = 0`.
    pub fn subject_count(&self) -> Result<usize, String> {
        Ok(self.count(self.subject)?.unwrap_or_default())
    }

    /// The subject's own text, which is there: `tcp = "LISTEN"`.
    pub fn subject_text(&self) -> Result<String, String> {
        Ok(self.text(self.subject)?.unwrap_or_default())
    }

    /// One name or a list of names.
    pub fn names(&self, key: &str) -> Result<Option<Vec<String>>, String> {
        let list = match self.get(key) {
            None => return Ok(None),
            Some(toml::Value::String(s)) => vec![s.clone()],
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or(format!("`{key}` is a list of names: each in quotes"))?,
            Some(v) => Err(format!("`{key}` is a {}: give a name", v.type_str()))?,
        };
        Ok(Some(list))
    }

    /// A program started by this step or an earlier one, which the kind needs.
    pub fn program(&self, key: &str) -> Result<String, String> {
        let name = self
            .text(key)?
            .ok_or(format!("`{}` needs `{key} = NAME`", self.subject))?;
        self.started(name)
    }

    /// The name, if a program by that name was started by this step or an earlier one.
    pub fn started(&self, name: String) -> Result<String, String> {
        if self.scope.names.contains(&name) {
            Ok(name)
        } else {
            Err(format!(
                "`{name}` is not a program started by this step or an earlier one"
            ))
        }
    }

    /// A host of the run, when given.
    pub fn host(&self, key: &str) -> Result<Option<String>, String> {
        match self.text(key)? {
            None => Ok(None),
            Some(h) if self.scope.hosts.iter().any(|x| x.name == h) => Ok(Some(h)),
            Some(h) => Err(format!("`{key}`: no host `{h}`")),
        }
    }

    /// A host of the run, or the first (where programs run unless told otherwise).
    pub fn host_or_first(&self, key: &str) -> Result<String, String> {
        Ok(self
            .host(key)?
            .unwrap_or_else(|| self.scope.hosts[0].name.clone()))
    }

    /// `side = "server"` or `"client"`, when given.
    pub fn side(&self) -> Result<Option<Side>, String> {
        match self.text("side")?.as_deref() {
            None => Ok(None),
            Some("server") => Ok(Some(Side::Server)),
            Some("client") => Ok(Some(Side::Client)),
            Some(s) => Err(format!("side `{s}` is neither \"server\" nor \"client\"")),
        }
    }

    /// A signal by name, `SIGINT`, when given.
    pub fn signal(&self, key: &str) -> Result<Option<Signal>, String> {
        match self.text(key)? {
            None => Ok(None),
            Some(s) => s
                .parse::<Signal>()
                .map(Some)
                .map_err(|_| format!("`{s}` is not a signal name")),
        }
    }

    /// A TCP state as netstat names it, when given.
    pub fn tcp_state(&self, key: &str) -> Result<Option<String>, String> {
        match self.text(key)? {
            None => Ok(None),
            Some(s) if tcp_states().contains(&s.as_str()) => Ok(Some(s)),
            Some(s) => Err(format!(
                "`{s}` is not a TCP state ({})",
                tcp_states().join(", ")
            )),
        }
    }

    /// A process state letter as ps's STAT column shows it, when given.
    pub fn state_letter(&self, key: &str) -> Result<Option<char>, String> {
        let Some(s) = self.text(key)? else {
            return Ok(None);
        };
        let mut letters = s.chars();
        match (letters.next(), letters.next()) {
            (Some(state @ ('R' | 'S' | 'D' | 'T' | 't' | 'Z')), None) => Ok(Some(state)),
            _ => Err(format!("state `{s}` is not one of R, S, D, T, t, Z")),
        }
    }
}
