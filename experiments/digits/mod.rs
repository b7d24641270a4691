//! The digits study (paper section 4.2): modules of the `digits_study` binary.

pub mod args;
pub mod config;
pub mod models;
pub mod outputs;
pub mod problem;
pub mod trial;
