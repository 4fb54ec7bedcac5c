//! The domain crate's integration tests: its public API only, as the store and the gate will
//! use it.

mod contact;
mod metering;
mod metering_packing;
mod metering_properties;
mod producer;
mod scenario;
mod scenario_properties;
mod synthetic;
mod works;
