//! Tests across the files of `signature`: published vectors and whole
//! flows.

mod flow;
mod vectors;
