//! The sandbox's integration tests: one binary that starts the sandbox in-process on a free port
//! and talks to it over HTTP, as the edge does. No test sleeps: time moves by `clock/advance`.

// Tests fail by panicking, so `unwrap`/`expect` are the point here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod binary;
mod ezr;
mod harness;
mod outcomes;
mod payzero_more;
mod payzero_qr;
mod shouqianba;
