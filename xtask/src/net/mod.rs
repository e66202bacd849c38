//! The run's network: its hosts as network namespaces joined by a switch (`ns`), the packets
//! captured on every interface of them (`capture`), and the two together as the run's lab.

pub mod capture;
pub mod lab;
pub mod ns;
