//! Webhooks' rules (docs/webhooks.md): what a subscription may ask for, the events a
//! committed change announces to it, when a failed delivery is tried again, and how a
//! notification is signed in Square's and in Shopify's form. No I/O: the store keeps the
//! subscriptions and the deliverer (the `webhook` module) sends what these rules decide.

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::{Violation, Violations};

/// Longest notification URL accepted.
pub const MAX_URL_CHARS: usize = 2048;
/// Longest subscription name.
pub const MAX_NAME_CHARS: usize = 255;
/// Most subscriptions a merchant may hold.
pub const MAX_SUBSCRIPTIONS_PER_MERCHANT: usize = 100;

/// Whose form a subscription's notifications take: payload, headers and signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WebhookFormat {
    /// Square's v2 webhooks: `{"merchant_id", "type", "event_id", "created_at", "data"}`,
    /// signed in `x-square-hmacsha256-signature` over the notification URL and the body.
    Square,
    /// Shopify's webhooks: the topic's object as the body, signed in
    /// `X-Shopify-Hmac-Sha256` over the body.
    Shopify,
}

impl WebhookFormat {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Square => "SQUARE",
            WebhookFormat::Shopify => "SHOPIFY",
        }
    }

    /// Parses the stored spelling.
    pub fn from_stored(stored: &str) -> Option<Self> {
        match stored {
            "SQUARE" => Some(WebhookFormat::Square),
            "SHOPIFY" => Some(WebhookFormat::Shopify),
            _ => None,
        }
    }
}

/// What a subscription is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// A committed change moved counts: their quantities after it (and before it).
    CountUpdated,
    /// A change was recorded: the change itself.
    ChangeRecorded,
    /// A reservation's hold ran out and its stock went back to IN_STOCK.
    ReservationExpired,
    /// An IN_STOCK count crossed its reorder point (a low-stock alert, LOW or RECOVERED).
    LowStock,
}

impl EventType {
    /// Every event type, in the order a change's events are announced.
    pub const ALL: [EventType; 4] = [
        EventType::ChangeRecorded,
        EventType::CountUpdated,
        EventType::LowStock,
        EventType::ReservationExpired,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CountUpdated => "COUNT_UPDATED",
            EventType::ChangeRecorded => "CHANGE_RECORDED",
            EventType::ReservationExpired => "RESERVATION_EXPIRED",
            EventType::LowStock => "LOW_STOCK",
        }
    }

    /// Parses the stored spelling.
    pub fn from_stored(stored: &str) -> Option<Self> {
        EventType::ALL.into_iter().find(|e| e.as_str() == stored)
    }

    /// The event's name in `format`: Square's `type`, Shopify's topic.
    pub fn name_in(self, format: WebhookFormat) -> &'static str {
        match (format, self) {
            (WebhookFormat::Square, EventType::CountUpdated) => "inventory.count.updated",
            (WebhookFormat::Square, EventType::ChangeRecorded) => "inventory.change.recorded",
            (WebhookFormat::Square, EventType::ReservationExpired) => {
                "inventory.reservation.expired"
            }
            (WebhookFormat::Square, EventType::LowStock) => "inventory.low_stock",
            (WebhookFormat::Shopify, _) => SHOPIFY_LEVELS_TOPIC,
        }
    }

    /// Whether `format` has a form for this event.
    pub fn carried_by(self, format: WebhookFormat) -> bool {
        match format {
            WebhookFormat::Square => true,
            WebhookFormat::Shopify => self == EventType::CountUpdated,
        }
    }
}

/// Shopify's topic for a level's `available` quantity changing.
pub const SHOPIFY_LEVELS_TOPIC: &str = "inventory_levels/update";

/// A subscription as asked for, before its checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubscriptionDraft {
    /// A name for people; may be empty.
    pub name: String,
    /// Where notifications are POSTed.
    pub notification_url: String,
    /// Square's or Shopify's form; `None` when not given.
    pub format: Option<WebhookFormat>,
    /// The events asked for, as given (unknown values as `None`).
    pub event_types: Vec<Option<EventType>>,
    /// Shopify's form: the shop domain its notifications name; may be empty.
    pub shopify_shop_domain: String,
}

/// A subscription that passed its checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionSpec {
    /// Trimmed name.
    pub name: String,
    /// The notification URL, as given (it is part of Square's signature).
    pub notification_url: String,
    /// The form of its notifications.
    pub format: WebhookFormat,
    /// The events, each once, in [`EventType::ALL`]'s order.
    pub event_types: Vec<EventType>,
    /// Shopify's form: the shop domain its notifications name (`None`: the merchant's id).
    pub shopify_shop_domain: Option<String>,
}

/// Checks a new subscription: an absolute `http`/`https` URL with a host, a format, at
/// least one event its format carries, none twice.
pub fn validate_subscription(draft: &SubscriptionDraft) -> Result<SubscriptionSpec, Violations> {
    let mut violations = Violations::default();
    let name = draft.name.trim().to_owned();
    if name.chars().count() > MAX_NAME_CHARS {
        violations.push(Violation::invalid(
            "name",
            format!("is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        violations.push(Violation::invalid("name", "contains a control character"));
    }
    violations.check(check_url(&draft.notification_url));
    let format = draft.format;
    if format.is_none() {
        violations.push(Violation::missing("format"));
    }
    let mut event_types = Vec::new();
    if draft.event_types.is_empty() {
        violations.push(Violation::missing("event_types"));
    }
    for (i, event) in draft.event_types.iter().enumerate() {
        let field = format!("event_types[{i}]");
        match event {
            None => violations.push(Violation::invalid(
                field,
                "is not an event type (COUNT_UPDATED, CHANGE_RECORDED, LOW_STOCK, \
                 RESERVATION_EXPIRED)",
            )),
            Some(event) if event_types.contains(event) => violations.push(Violation::invalid(
                field,
                format!("{} is named twice", event.as_str()),
            )),
            Some(event) => {
                if let Some(format) = format
                    && !event.carried_by(format)
                {
                    violations.push(Violation::invalid(
                        field,
                        format!(
                            "{} has no Shopify form: Shopify's webhooks carry COUNT_UPDATED \
                             alone ({SHOPIFY_LEVELS_TOPIC})",
                            event.as_str()
                        ),
                    ));
                }
                event_types.push(*event);
            }
        }
    }
    event_types.sort();
    let shop = draft.shopify_shop_domain.trim().to_ascii_lowercase();
    if !shop.is_empty() {
        if format == Some(WebhookFormat::Square) {
            violations.push(Violation::invalid(
                "shopify_shop_domain",
                "is for Shopify's form only",
            ));
        }
        violations.check(check_shop_domain(&shop));
    }
    let spec = format.map(|format| SubscriptionSpec {
        name,
        notification_url: draft.notification_url.clone(),
        format,
        event_types,
        shopify_shop_domain: (!shop.is_empty()).then_some(shop),
    });
    match spec {
        Some(spec) => violations.into_result(spec),
        None => Err(violations),
    }
}

/// A host name: dot-separated labels of letters, digits and inner hyphens.
fn check_shop_domain(shop: &str) -> Result<(), Violation> {
    let field = "shopify_shop_domain";
    if shop.len() > MAX_NAME_CHARS {
        return Err(Violation::invalid(
            field,
            format!("is longer than {MAX_NAME_CHARS} characters"),
        ));
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !shop.split('.').all(label_ok) {
        return Err(Violation::invalid(
            field,
            "is not a host name (e.g. acme.myshopify.com)",
        ));
    }
    Ok(())
}

fn check_url(raw: &str) -> Result<(), Violation> {
    const FIELD: &str = "notification_url";
    if raw.is_empty() {
        return Err(Violation::missing(FIELD));
    }
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(Violation::invalid(
            FIELD,
            format!("is longer than {MAX_URL_CHARS} characters"),
        ));
    }
    let url = url::Url::parse(raw)
        .map_err(|err| Violation::invalid(FIELD, format!("is not an absolute URL ({err})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Violation::invalid(
            FIELD,
            format!("must be http:// or https://, not {}://", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Violation::invalid(FIELD, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Violation::invalid(
            FIELD,
            "must not carry credentials (the signature authenticates the sender)",
        ));
    }
    if url.fragment().is_some() {
        return Err(Violation::invalid(FIELD, "must not have a #fragment"));
    }
    Ok(())
}

/// How failed deliveries are retried: the delay doubles from `first` up to `longest`;
/// after `max_attempts` failures in a row the subscription is dead-lettered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure.
    pub first: Duration,
    /// Longest delay between attempts.
    pub longest: Duration,
    /// Failures in a row that dead-letter the subscription.
    pub max_attempts: u32,
}

impl RetryPolicy {
    /// 1 s, 2 s, 4 s … capped at 10 minutes; dead-lettered after 15 failures in a row
    /// (about an hour and a half of failing).
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        first: Duration::from_secs(1),
        longest: Duration::from_secs(600),
        max_attempts: 15,
    };
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
    }
}

/// What follows a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try the same notification again after this delay.
    RetryIn(Duration),
    /// Stop: the subscription is dead-lettered until replayed.
    DeadLetter,
}

impl RetryPolicy {
    /// What follows the `failures`-th failure in a row (1 for the first).
    pub fn after_failure(&self, failures: u32) -> AfterFailure {
        if failures >= self.max_attempts {
            return AfterFailure::DeadLetter;
        }
        let doublings = failures.saturating_sub(1).min(32);
        let delay = self
            .first
            .checked_mul(1u32 << doublings.min(31))
            .unwrap_or(self.longest)
            .min(self.longest);
        AfterFailure::RetryIn(delay)
    }
}

/// Square's signature: base64 of HMAC-SHA256 keyed with the signature key, over the
/// notification URL followed by the body (`x-square-hmacsha256-signature`).
pub fn square_signature(signature_key: &str, notification_url: &str, body: &[u8]) -> String {
    let mut mac = hmac_sha256(signature_key);
    mac.update(notification_url.as_bytes());
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Shopify's signature: base64 of HMAC-SHA256 keyed with the secret, over the body
/// (`X-Shopify-Hmac-Sha256`).
pub fn shopify_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = hmac_sha256(secret);
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn hmac_sha256(key: &str) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length")
}

/// The id of one notification: the same on every attempt (receivers deduplicate by it),
/// different for every subscription, change and event. UUID-shaped, as Square's are.
pub fn event_id(subscription_id: &str, feed_seq: i64, ordinal: u32) -> String {
    use sha2::Digest;
    let digest = Sha256::new()
        .chain_update(subscription_id.as_bytes())
        .chain_update(feed_seq.to_be_bytes())
        .chain_update(ordinal.to_be_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Where a subscription's deliveries stand in its merchant's feed: every event of the
/// changes up to `seq` delivered, and the first `events` events of the change after it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct DeliveryPosition {
    /// Last feed sequence whose events were all delivered.
    pub seq: i64,
    /// Events of change `seq + 1` already delivered.
    pub events: u32,
}

impl DeliveryPosition {
    /// The position after the `ordinal`-th event (0-based) of change `feed_seq`, which
    /// has `of` events in all.
    pub fn after(feed_seq: i64, ordinal: u32, of: u32) -> DeliveryPosition {
        if ordinal + 1 >= of {
            DeliveryPosition {
                seq: feed_seq,
                events: 0,
            }
        } else {
            DeliveryPosition {
                seq: feed_seq - 1,
                events: ordinal + 1,
            }
        }
    }

    /// Whether the `ordinal`-th event of change `feed_seq` is still to deliver.
    pub fn owes(&self, feed_seq: i64, ordinal: u32) -> bool {
        feed_seq > self.seq + 1 || (feed_seq == self.seq + 1 && ordinal >= self.events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(
        url: &str,
        format: Option<WebhookFormat>,
        events: &[Option<EventType>],
    ) -> SubscriptionDraft {
        SubscriptionDraft {
            name: " shop ".into(),
            notification_url: url.into(),
            format,
            event_types: events.to_vec(),
            shopify_shop_domain: String::new(),
        }
    }

    fn fields(result: Result<SubscriptionSpec, Violations>) -> Vec<String> {
        result.unwrap_err().0.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn a_good_subscription_is_trimmed_and_ordered() {
        let spec = validate_subscription(&draft(
            "https://example.com/hooks?x=1",
            Some(WebhookFormat::Square),
            &[
                Some(EventType::CountUpdated),
                Some(EventType::ChangeRecorded),
            ],
        ))
        .unwrap();
        assert_eq!(spec.name, "shop");
        assert_eq!(spec.notification_url, "https://example.com/hooks?x=1");
        assert_eq!(
            spec.event_types,
            [EventType::CountUpdated, EventType::ChangeRecorded]
        );
    }

    #[test]
    fn bad_subscriptions_name_each_field() {
        let cases: &[(SubscriptionDraft, &[&str])] = &[
            (
                draft(
                    "",
                    Some(WebhookFormat::Square),
                    &[Some(EventType::CountUpdated)],
                ),
                &["notification_url"],
            ),
            (
                draft(
                    "ftp://x/y",
                    Some(WebhookFormat::Square),
                    &[Some(EventType::CountUpdated)],
                ),
                &["notification_url"],
            ),
            (
                draft(
                    "/relative",
                    Some(WebhookFormat::Square),
                    &[Some(EventType::CountUpdated)],
                ),
                &["notification_url"],
            ),
            (
                draft(
                    "https://u:p@x/",
                    Some(WebhookFormat::Square),
                    &[Some(EventType::CountUpdated)],
                ),
                &["notification_url"],
            ),
            (
                draft("https://x/", None, &[Some(EventType::CountUpdated)]),
                &["format"],
            ),
            (
                draft("https://x/", Some(WebhookFormat::Square), &[]),
                &["event_types"],
            ),
            (
                draft(
                    "https://x/",
                    Some(WebhookFormat::Square),
                    &[Some(EventType::CountUpdated), None],
                ),
                &["event_types[1]"],
            ),
            (
                draft(
                    "https://x/",
                    Some(WebhookFormat::Square),
                    &[Some(EventType::CountUpdated), Some(EventType::CountUpdated)],
                ),
                &["event_types[1]"],
            ),
            (
                draft(
                    "https://x/",
                    Some(WebhookFormat::Shopify),
                    &[Some(EventType::ChangeRecorded)],
                ),
                &["event_types[0]"],
            ),
        ];
        for (draft, expected) in cases {
            assert_eq!(fields(validate_subscription(draft)), *expected, "{draft:?}");
        }
        let shop = |format, domain: &str| SubscriptionDraft {
            shopify_shop_domain: domain.into(),
            ..draft("https://x/", Some(format), &[Some(EventType::CountUpdated)])
        };
        for bad in [
            "acme shop",
            "-acme.myshopify.com",
            "acme..com",
            "acme_1.com",
        ] {
            assert_eq!(
                fields(validate_subscription(&shop(WebhookFormat::Shopify, bad))),
                ["shopify_shop_domain"],
                "{bad}"
            );
        }
        assert_eq!(
            fields(validate_subscription(&shop(
                WebhookFormat::Square,
                "acme.myshopify.com"
            ))),
            ["shopify_shop_domain"]
        );
        let spec =
            validate_subscription(&shop(WebhookFormat::Shopify, " Acme.MyShopify.com ")).unwrap();
        assert_eq!(
            spec.shopify_shop_domain.as_deref(),
            Some("acme.myshopify.com")
        );
    }

    #[test]
    fn retries_double_up_to_the_cap_then_dead_letter() {
        let policy = RetryPolicy {
            first: Duration::from_secs(1),
            longest: Duration::from_secs(10),
            max_attempts: 6,
        };
        let delays: Vec<_> = (1..=6).map(|n| policy.after_failure(n)).collect();
        assert_eq!(
            delays,
            [
                AfterFailure::RetryIn(Duration::from_secs(1)),
                AfterFailure::RetryIn(Duration::from_secs(2)),
                AfterFailure::RetryIn(Duration::from_secs(4)),
                AfterFailure::RetryIn(Duration::from_secs(8)),
                AfterFailure::RetryIn(Duration::from_secs(10)),
                AfterFailure::DeadLetter,
            ]
        );
        let long = RetryPolicy {
            max_attempts: 100,
            ..policy
        };
        assert_eq!(
            long.after_failure(90),
            AfterFailure::RetryIn(Duration::from_secs(10))
        );
    }

    #[test]
    fn signatures_match_the_vendors_definitions() {
        // The expected values computed outside, with Python's hmac module.
        let body = br#"{"hello":"world"}"#;
        assert_eq!(
            square_signature("key", "https://example.com/webhook", body),
            "YFQym0sooTIDRsM0NNKh/0fVtZbZEM+uyBWxdhnx7kI="
        );
        assert_eq!(
            shopify_signature("key", body),
            "eLtEzP/N3WCjLGBJISTJYBfkaHrambncfSHjzEAa4DU="
        );
    }

    #[test]
    fn event_ids_are_stable_and_distinct() {
        let a = event_id("wh1", 7, 0);
        assert_eq!(a, event_id("wh1", 7, 0));
        assert_ne!(a, event_id("wh1", 7, 1));
        assert_ne!(a, event_id("wh1", 8, 0));
        assert_ne!(a, event_id("wh2", 7, 0));
        assert_eq!(a.len(), 36);
    }

    #[test]
    fn positions_step_through_a_changes_events() {
        let start = DeliveryPosition { seq: 4, events: 0 };
        assert!(!start.owes(4, 0));
        assert!(start.owes(5, 0));
        let mid = DeliveryPosition::after(5, 0, 2);
        assert_eq!(mid, DeliveryPosition { seq: 4, events: 1 });
        assert!(!mid.owes(5, 0));
        assert!(mid.owes(5, 1));
        assert!(mid.owes(6, 0));
        assert_eq!(
            DeliveryPosition::after(5, 1, 2),
            DeliveryPosition { seq: 5, events: 0 }
        );
    }
}
