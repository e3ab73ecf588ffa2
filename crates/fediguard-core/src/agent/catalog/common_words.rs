//! AI agents of ai.robots.txt whose names are common words or short
//! letters. As plain words they would catch far more than the agent
//! (`Screaming Frog SEO Spider`, a phone model `LCC-...`), so each counts
//! only as a product token, the name right before `/` and its version
//! (`Spider/1.0`, VS Code's `Code/1.115.0` of GitHub Copilot's agent), and
//! this section stands after every specific name.

use super::entry::{e, Entry};
use crate::agent::ClassId as C;

pub(super) const ENTRIES: &[Entry] = &[
    // "AI Coding Agents" (GitHub Copilot in VS Code, Cursor, ByteDance's Trae).
    e(C::AI, "Code/"),
    e(C::AI, "Cursor/"),
    e(C::AI, "Trae/"),
    // "AI Coding Agents": Devin AI.
    e(C::AI, "Devin/"),
    // "AI Agents": OpenAI's Operator.
    e(C::AI, "Operator/"),
    // "AI Data Scrapers". spider.com's crawler writes its name without a
    // version: `Mozilla/5.0 (compatible; Spider; +https://www.spider.com/)`.
    e(C::AI, "Spider/"),
    e(C::AI, "compatible; Spider;"),
    e(C::AI, "spider.com"),
    e(C::AI, "LCC/"),
    // Meltwater's crawler.
    e(C::AI, "YaK/"),
];
