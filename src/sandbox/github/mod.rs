//! GitHub API simulator (being built).
