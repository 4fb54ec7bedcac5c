//! The domain crate's integration tests: its public API only, as the store and the gate will
//! use it.

mod scenario;
mod scenario_properties;
