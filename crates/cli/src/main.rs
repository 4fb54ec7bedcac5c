//! The cloison binary.
fn main() {}
