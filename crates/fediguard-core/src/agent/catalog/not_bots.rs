//! People's devices and apps whose names contain what the signs of an
//! automated agent look for (signs.rs): they stay `other`. Only the signs
//! come after this section, so a named agent in the same string still
//! wins (a Cubot phone's agent naming `Googlebot` is `search`).

use super::entry::{prefix, Entry};
use crate::agent::ClassId as C;

pub(super) const ENTRIES: &[Entry] = &[
    // Cubot phones (`CUBOT KINGKONG 9`, `Cubot_Note_20`) end in "bot".
    prefix(C::OTHER, "Cubot"),
    // Tapbots' apps: the Ivory and Tweetbot clients (`com.tapbots.Ivory`).
    prefix(C::OTHER, "Tapbots"),
    prefix(C::OTHER, "Tweetbot"),
    // The CamScanner document-scanning app ends in "scanner".
    prefix(C::OTHER, "CamScanner"),
];
