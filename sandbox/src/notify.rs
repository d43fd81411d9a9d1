//! Payzero notification delivery (spec 3): a queue of signed notifications, each retried at 1m,
//! 5m, 10m, 1h and 6h after its first send (sandbox clock) until the receiver answers `OK`, and
//! the HTTP sender. The queue is plain data; `send` is the only IO.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Retry offsets after the first send (spec 3.3): five retries, six attempts in all.
pub(crate) const RETRY_OFFSETS_S: [u64; 5] = [60, 300, 600, 3600, 21_600];

/// Payzero waits five seconds for an answer (spec 3.1).
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// The most answer text kept per attempt.
const ANSWER_CAP: usize = 2048;

/// How many attempt records are kept; older ones are dropped first.
const ATTEMPT_CAP: usize = 5000;
/// How many notifications are kept; the oldest finished ones are dropped first.
const DELIVERY_CAP: usize = 5000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt is being sent right now.
    InFlight,
    /// The receiver answered `OK`.
    Delivered,
    /// Six attempts failed.
    GaveUp,
    /// Neither the order nor the merchant has a notification URL.
    NoUrl,
}

/// One notification and its delivery progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Delivery {
    pub(crate) id: u64,
    pub(crate) gateway: String,
    pub(crate) url: Option<String>,
    pub(crate) msg_type: String,
    /// The order (or other object) it is about, for filtering.
    pub(crate) subject: String,
    /// The exact JSON posted on every attempt: retries repeat it byte for byte.
    pub(crate) body: String,
    pub(crate) created_ms: u64,
    pub(crate) first_sent_ms: Option<u64>,
    pub(crate) attempts: u32,
    pub(crate) next_due_ms: Option<u64>,
    pub(crate) state: DeliveryState,
}

/// What became of one attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum Outcome {
    /// An HTTP answer (delivered when it is 2xx with the body exactly `OK`).
    Answered { status: u16, answer: String },
    /// No HTTP answer: refused connection, timeout, a non-loopback URL.
    Error { error: String },
    /// Not sent, by a `drop_notification` fault.
    Dropped,
    /// Not sent: there is nowhere to send it.
    NoUrl,
}

impl Outcome {
    fn delivered(&self) -> bool {
        matches!(self, Outcome::Answered { status, answer } if (200..300).contains(status) && answer == "OK")
    }
}

/// A record of one attempt, as `GET /__admin/notifications` shows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Attempt {
    pub(crate) delivery_id: u64,
    pub(crate) gateway: String,
    pub(crate) msg_type: String,
    pub(crate) subject: String,
    pub(crate) url: Option<String>,
    pub(crate) body: String,
    /// 1 for the first send, 2..=6 for the retries.
    pub(crate) attempt: u32,
    /// Sandbox clock, Unix milliseconds.
    pub(crate) at_ms: u64,
    /// The second copy sent by a `duplicate_notification` fault.
    pub(crate) duplicate: bool,
    #[serde(flatten)]
    pub(crate) outcome: Outcome,
}

/// An attempt to make now.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub(crate) id: u64,
    /// When it was due: after a clock jump the attempt is recorded at this time, as if the
    /// sandbox had been running all along.
    pub(crate) due_ms: u64,
    pub(crate) url: String,
    pub(crate) body: String,
}

/// The queue is kept on disk with the rest of the state, so retries survive a restart.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Queue {
    deliveries: Vec<Delivery>,
    attempts: Vec<Attempt>,
    next_id: u64,
}

impl Queue {
    /// Queues a notification; its first attempt is due at once. Without a URL it is recorded as
    /// undeliverable and never retried.
    pub(crate) fn push(
        &mut self,
        gateway: &'static str,
        url: Option<String>,
        msg_type: &str,
        subject: &str,
        body: String,
        now_ms: u64,
    ) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let mut d = Delivery {
            id,
            gateway: gateway.to_owned(),
            url,
            msg_type: msg_type.to_owned(),
            subject: subject.to_owned(),
            body,
            created_ms: now_ms,
            first_sent_ms: None,
            attempts: 0,
            next_due_ms: Some(now_ms),
            state: DeliveryState::Pending,
        };
        if d.url.is_none() {
            d.state = DeliveryState::NoUrl;
            d.next_due_ms = None;
            self.attempts.push(attempt_of(&d, 1, now_ms, false, Outcome::NoUrl));
        }
        self.deliveries.push(d);
        self.bound();
        id
    }

    /// Drops the oldest finished notifications and attempt records beyond their caps, so memory
    /// and the state file stay bounded however long the sandbox runs.
    fn bound(&mut self) {
        while self.deliveries.len() > DELIVERY_CAP {
            let finished = self
                .deliveries
                .iter()
                .position(|d| !matches!(d.state, DeliveryState::Pending | DeliveryState::InFlight));
            match finished {
                Some(i) => {
                    self.deliveries.remove(i);
                }
                None => break,
            }
        }
        if self.attempts.len() > ATTEMPT_CAP {
            let excess = self.attempts.len() - ATTEMPT_CAP;
            self.attempts.drain(..excess);
        }
    }

    /// After a restart nothing is on its way: an attempt that was in flight when the state was
    /// saved is due again.
    pub(crate) fn resume(&mut self) {
        for d in &mut self.deliveries {
            if d.state == DeliveryState::InFlight {
                d.state = DeliveryState::Pending;
            }
        }
    }

    /// Takes the attempts due at `now_ms`, marking them in flight so no one else sends them.
    pub(crate) fn take_due(&mut self, now_ms: u64) -> Vec<Job> {
        self.deliveries
            .iter_mut()
            .filter(|d| d.state == DeliveryState::Pending && d.next_due_ms.is_some_and(|t| t <= now_ms))
            .filter_map(|d| {
                let url = d.url.clone()?;
                let due_ms = d.next_due_ms?;
                d.state = DeliveryState::InFlight;
                Some(Job { id: d.id, due_ms, url, body: d.body.clone() })
            })
            .collect()
    }

    pub(crate) fn any_in_flight(&self) -> bool {
        self.deliveries.iter().any(|d| d.state == DeliveryState::InFlight)
    }

    /// Records the outcome(s) of an attempt (two with a duplicate fault) and schedules the next.
    pub(crate) fn complete(&mut self, id: u64, sent_ms: u64, outcomes: Vec<Outcome>) {
        let Some(d) = self.deliveries.iter_mut().find(|d| d.id == id) else {
            return;
        };
        d.attempts += 1;
        let first = *d.first_sent_ms.get_or_insert(sent_ms);
        let delivered = outcomes.iter().any(Outcome::delivered);
        for (i, outcome) in outcomes.into_iter().enumerate() {
            self.attempts.push(attempt_of(d, d.attempts, sent_ms, i > 0, outcome));
        }
        if self.attempts.len() > ATTEMPT_CAP {
            let excess = self.attempts.len() - ATTEMPT_CAP;
            self.attempts.drain(..excess);
        }
        let retry_index = usize::try_from(d.attempts).unwrap_or(usize::MAX).saturating_sub(1);
        if delivered {
            d.state = DeliveryState::Delivered;
            d.next_due_ms = None;
        } else if let Some(offset) = RETRY_OFFSETS_S.get(retry_index) {
            d.state = DeliveryState::Pending;
            d.next_due_ms = Some(first.saturating_add(offset * 1000));
        } else {
            d.state = DeliveryState::GaveUp;
            d.next_due_ms = None;
        }
    }

    pub(crate) fn deliveries(&self) -> &[Delivery] {
        &self.deliveries
    }

    pub(crate) fn attempts(&self) -> &[Attempt] {
        &self.attempts
    }
}

fn attempt_of(d: &Delivery, attempt: u32, at_ms: u64, duplicate: bool, outcome: Outcome) -> Attempt {
    Attempt {
        delivery_id: d.id,
        gateway: d.gateway.clone(),
        msg_type: d.msg_type.clone(),
        subject: d.subject.clone(),
        url: d.url.clone(),
        body: d.body.clone(),
        attempt,
        at_ms,
        duplicate,
        outcome,
    }
}

/// The sandbox only talks to this machine: a notification URL elsewhere is refused unsent.
pub(crate) fn is_loopback_url(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    if parsed.scheme() != "http" {
        return false;
    }
    let Some(host) = parsed.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Posts one notification body and reports what came back.
pub(crate) async fn send(client: &reqwest::Client, url: &str, body: &str) -> Outcome {
    if !is_loopback_url(url) {
        return Outcome::Error { error: format!("refused: {url} is not an http://loopback URL") };
    }
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .timeout(SEND_TIMEOUT)
        .body(body.to_owned())
        .send()
        .await;
    match response {
        Ok(r) => {
            let status = r.status().as_u16();
            let mut answer = r.text().await.unwrap_or_default();
            if answer.len() > ANSWER_CAP {
                let mut cut = ANSWER_CAP;
                while !answer.is_char_boundary(cut) {
                    cut -= 1;
                }
                answer.truncate(cut);
            }
            Outcome::Answered { status, answer }
        }
        Err(e) => Outcome::Error { error: e.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(answer: &str) -> Outcome {
        Outcome::Answered { status: 200, answer: answer.into() }
    }

    #[test]
    fn retries_follow_the_schedule_from_the_first_send() {
        let mut q = Queue::default();
        let id = q.push(
            "payzero",
            Some("http://127.0.0.1:9/cb".into()),
            "PAY_STATUS_NOTIFY",
            "A1",
            "{}".into(),
            1000,
        );
        let jobs = q.take_due(1000);
        assert_eq!(jobs.len(), 1);
        assert!(q.take_due(1000).is_empty(), "in flight is not taken twice");
        q.complete(id, 1000, vec![answered("FAIL")]);
        assert_eq!(q.deliveries()[0].next_due_ms, Some(61_000));
        // The retries are counted from the first send, not from the previous attempt.
        for (n, offset) in RETRY_OFFSETS_S.iter().enumerate() {
            let due = 1000 + offset * 1000;
            assert!(q.take_due(due - 1).is_empty());
            assert_eq!(q.take_due(due).len(), 1, "retry {n}");
            q.complete(id, due + 700, vec![Outcome::Error { error: "refused".into() }]);
        }
        assert_eq!(q.deliveries()[0].state, DeliveryState::GaveUp);
        assert_eq!(q.attempts().len(), 6);
        assert_eq!(q.attempts()[5].attempt, 6);
    }

    #[test]
    fn ok_ends_delivery_and_only_exact_ok_counts() {
        let mut q = Queue::default();
        let id = q.push(
            "payzero",
            Some("http://127.0.0.1:9/cb".into()),
            "PAY_STATUS_NOTIFY",
            "A1",
            "{}".into(),
            0,
        );
        q.take_due(0);
        q.complete(id, 0, vec![answered("ok")]);
        assert_eq!(q.deliveries()[0].state, DeliveryState::Pending);
        q.take_due(60_000);
        q.complete(id, 60_000, vec![Outcome::Answered { status: 500, answer: "OK".into() }]);
        assert_eq!(q.deliveries()[0].state, DeliveryState::Pending);
        q.take_due(300_000);
        q.complete(id, 300_000, vec![answered("OK")]);
        assert_eq!(q.deliveries()[0].state, DeliveryState::Delivered);
        assert!(q.take_due(u64::MAX).is_empty());
    }

    #[test]
    fn without_a_url_nothing_is_sent() {
        let mut q = Queue::default();
        q.push("payzero", None, "PAY_STATUS_NOTIFY", "A1", "{}".into(), 0);
        assert!(q.take_due(u64::MAX).is_empty());
        assert_eq!(q.attempts()[0].outcome, Outcome::NoUrl);
    }

    #[test]
    fn only_loopback_urls_are_sent_to() {
        assert!(is_loopback_url("http://127.0.0.1:8787/callbacks/payzero"));
        assert!(is_loopback_url("http://localhost:1/x"));
        assert!(is_loopback_url("http://[::1]:1/x"));
        assert!(!is_loopback_url("http://10.0.0.1/x"));
        assert!(!is_loopback_url("https://127.0.0.1/x"));
        assert!(!is_loopback_url("not a url"));
    }
}
