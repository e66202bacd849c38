//! `[[host]]`: the run's hosts, each a network namespace on the run's network 192.0.2.0/24;
//! without any, a lesson runs on one host, `host`, with only its loopback, 127.0.0.1.
//!
//! ```toml
//! [[host]]
//! name = "server"
//! addr = "192.0.2.2"
//! sysctl = { "net.ipv4.tcp_retries2" = 3 }   # its kernel's settings
//! routes = ["192.0.2.200 unreachable"]       # beyond its link's own
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::net::ns::{self, HostSpec, Route};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    name: String,
    addr: String,
    #[serde(default)]
    sysctl: BTreeMap<String, toml::Value>,
    #[serde(default)]
    routes: Vec<String>,
}

/// The declared hosts, or the one loopback host of a lesson that declares none.
pub(super) fn check_hosts(raw: Vec<RawHost>) -> Result<Vec<HostSpec>, String> {
    if raw.is_empty() {
        return Ok(vec![HostSpec {
            name: "host".into(),
            addr: std::net::Ipv4Addr::LOCALHOST,
            sysctls: Vec::new(),
            routes: Vec::new(),
        }]);
    }
    let mut hosts: Vec<HostSpec> = Vec::new();
    for h in raw {
        let what = format!("host `{}`", h.name);
        check_name(&h.name).map_err(|e| format!("{what}: {e}"))?;
        let addr = ns::in_run(&h.addr).map_err(|e| format!("{what}: {e}"))?;
        if let Some(other) = hosts.iter().find(|o| o.name == h.name || o.addr == addr) {
            return Err(format!(
                "{what}: {} already has that name or address",
                other.name
            ));
        }
        let sysctls = h
            .sysctl
            .into_iter()
            .map(|(key, value)| sysctl(key, value).map_err(|e| format!("{what}: {e}")))
            .collect::<Result<_, _>>()?;
        let routes = h
            .routes
            .iter()
            .map(|r| r.parse::<Route>().map_err(|e| format!("{what}: {e}")))
            .collect::<Result<_, _>>()?;
        hosts.push(HostSpec {
            name: h.name,
            addr,
            sysctls,
            routes,
        });
    }
    Ok(hosts)
}

/// A host name is letters, digits and `-`; it is also the switch's port for the host, an
/// interface name, so at most 15 characters.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err("a host name is letters, digits and `-`".into());
    }
    if name.len() > 15 || name == "switch" {
        return Err("at most 15 characters, and not `switch`".into());
    }
    Ok(())
}

/// A network setting of the host's kernel: its key and its value as text.
fn sysctl(key: String, value: toml::Value) -> Result<(String, String), String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !key.starts_with("net.") || key.contains("..") || !key.chars().all(ok) {
        return Err(format!("sysctl `{key}` is not a network setting (net.*)"));
    }
    let value = match value {
        toml::Value::String(s) if !s.contains(['\n', '\0']) => s,
        toml::Value::Integer(n) => n.to_string(),
        other => {
            let t = other.type_str();
            return Err(format!(
                "sysctl `{key}` is a {t}: give a number or a line of text"
            ));
        }
    };
    Ok((key, value))
}
