//! mastodon.conf and the three seed stories (filled in below).
