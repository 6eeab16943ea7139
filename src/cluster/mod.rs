//! The cluster, through kube-rs: connecting like kubectl, reading the
//! product's version, server-side applying multi-document YAML, deleting and
//! waiting, following the product installer, and the in-cluster journal.
//! Nothing here knows which hop runs; that is `upgrade`'s job.
