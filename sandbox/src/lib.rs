//! Simulators of the outside world, for the tests and `ferry demo`.
//! Product code never depends on them.

pub mod github;
pub mod images;
pub mod kube;
pub mod registry;
mod serve;
