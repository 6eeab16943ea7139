//! End-to-end tests: the real `ferry` binary against the simulators over
//! loopback, with the real minisign, tar and sha256sum where they matter.

mod e2e;
