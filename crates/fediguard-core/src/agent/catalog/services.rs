//! Named automated services that fit no narrower class: webhooks, payment
//! and e-mail callbacks, integration platforms, research crawlers. They are
//! `bot`, the class the signs in signs.rs give to unnamed automated agents;
//! naming them keeps them `bot` when their agent shows no such sign
//! (`Zapier`, `Make/production`).

use super::entry::{e, Entry};
use crate::agent::ClassId as C;

pub(super) const ENTRIES: &[Entry] = &[
    // Integration platforms and webhooks.
    e(C::BOT, "Zapier"),
    e(C::BOT, "Integromat"),
    e(C::BOT, "Make/production"),
    e(C::BOT, "Bitbucket-Webhooks"),
    e(C::BOT, "Shopify-Captain-Hook"),
    e(C::BOT, "Zendesk Webhook"),
    e(C::BOT, "Cloudflare-Stream-Hook"),
    e(C::BOT, "SFDC-Callout"),
    e(C::BOT, "Salesforce.com"),
    e(C::BOT, "Asana"),
    e(C::BOT, "Metorik API Client"),
    e(C::BOT, "ModularConnector"),
    e(C::BOT, "ManageWP"),
    e(C::BOT, "easybill-ImportManager"),
    e(C::BOT, "Stape"),
    e(C::BOT, "Snipcart"),
    e(C::BOT, "Sora POS"),
    e(C::BOT, "YokoyGroupAG"),
    e(C::BOT, "ExodusMovement"),
    e(C::BOT, "imgproxy"),
    e(C::BOT, "Potions"),
    e(C::BOT, "crusty"),
    e(C::BOT, "Disqus"),
    e(C::BOT, "Dlc/"),
    e(C::BOT, "Readable/"),
    e(C::BOT, "Sindup"),
    e(C::BOT, "SQWatcher"),
    e(C::BOT, "Amazon CloudFront"),
    // Payments and e-mail services calling back.
    e(C::BOT, "SendGrid Event API"),
    e(C::BOT, "SparkPost"),
    e(C::BOT, "Klaviyo"),
    e(C::BOT, "Omnisend"),
    e(C::BOT, "Mollie HTTP client"),
    e(C::BOT, "Trustly"),
    e(C::BOT, "GoPay"),
    e(C::BOT, "Jumio"),
    // Research and plagiarism crawlers.
    e(C::BOT, "Blackboard Safeassign"),
    e(C::BOT, "Turnitin"),
];
