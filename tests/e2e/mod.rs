mod apply;
mod bundle;
mod cli;
mod faults;
mod mirror;
mod plan;
mod resume;
mod util;
