//! The `cloison` binary as a newcomer and a script use it: a real process, a real database.

mod admin;
mod contact;
mod demo;
mod harness;
mod iam;
mod identity;
mod instants;
mod journal;
mod market;
mod metering;
mod opening;
mod output;
mod producers;
mod research;
mod serve;
mod witness;
mod works;
