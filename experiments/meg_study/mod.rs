//! The MEG study (paper section 4.3): modules of the `meg_study` binary.

pub mod args;
pub mod config;
pub mod operators;
pub mod outputs;
pub mod timing;
pub mod trial;
