//! The `cloison` binary as a newcomer and a script use it: a real process, a real database.

mod demo;
mod harness;
mod instants;
mod journal;
mod serve;
