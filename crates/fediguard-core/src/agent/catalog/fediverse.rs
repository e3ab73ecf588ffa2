//! Fediverse servers fetching for federation and link previews. Each counts
//! only when an instance URL follows its name: a person's client app uses the
//! same software name without one (`Mastodon/2024.5 CFNetwork/...`).

use super::entry::{e, fedi, Entry};
use crate::agent::ClassId as C;

pub(super) const ENTRIES: &[Entry] = &[
    fedi("Mastodon"),
    fedi("Wildebeest"),
    fedi("Pleroma"),
    fedi("Akkoma"),
    fedi("Misskey"),
    fedi("Calckey"),
    fedi("Foundkey"),
    fedi("Iceshrimp"),
    fedi("Sharkey"),
    fedi("Firefish"),
    fedi("Catodon"),
    fedi("Friendica"),
    fedi("gotosocial"),
    fedi("Pixelfed"),
    fedi("Lemmy"),
    fedi("PeerTube"),
    fedi("Mitra"),
    fedi("BookWyrm"),
    fedi("WriteFreely"),
    fedi("Takahe"),
    fedi("Funkwhale"),
    fedi("Mobilizon"),
    fedi("Bonfire"),
    fedi("Plume"),
    fedi("Mbin"),
    fedi("kbin"),
    fedi("Hubzilla"),
    fedi("Smithereen"),
    fedi("snac"),
    fedi("Hollo"),
    fedi("Fedify"),
    // Hubzilla's fetcher looks like a browser and names no instance.
    e(C::FEDIVERSE, "zot"),
];
