mod apply;
mod bundle;
mod cli;
mod faults;
mod plan;
mod resume;
mod util;
