//! Deterministic fault injection: rules added through the admin API that make the next N matching
//! requests (or notifications) slow, fail, hang or come back as broken JSON. Rules are consumed in
//! the order they were added, so a test knows exactly which call fails.

use serde::{Deserialize, Serialize};

/// What a fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FaultKind {
    /// Answer with an HTTP 5xx (`status`, default 500).
    #[serde(rename = "http_500", alias = "http_5xx")]
    Http500,
    /// Wait `ms` milliseconds, then answer normally.
    LatencyMs,
    /// Never answer (until `ms`, default 300 000, passes or the sandbox stops).
    Timeout,
    /// Answer 200 with a body that is not valid JSON.
    MalformedJson,
    /// Do not send a notification attempt (it counts as failed, so the retry schedule runs).
    DropNotification,
    /// Send a notification attempt twice.
    DuplicateNotification,
    /// Answer with the gateway's own refusal carrying `code` and `message` (and, for
    /// Shouqianba, `result`): codes the specs never define, as a real gateway may send them.
    Refuse,
}

impl FaultKind {
    pub(crate) fn is_notification(self) -> bool {
        matches!(self, FaultKind::DropNotification | FaultKind::DuplicateNotification)
    }
}

/// A fault as posted to `POST /__admin/faults`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    /// A request path (`/payzero/order/queryOrder`), or a prefix ending in `*`
    /// (`/shouqianba/*`). For notification faults: a text the notification URL must contain;
    /// absent means every request (or every notification).
    #[serde(default)]
    pub(crate) endpoint: Option<String>,
    pub(crate) kind: FaultKind,
    /// How many matching requests it hits (default 1).
    #[serde(default)]
    pub(crate) times: Option<u32>,
    /// Hit every matching request until removed (overrides `times`).
    #[serde(default)]
    pub(crate) always: bool,
    /// Let this many matching requests through before it starts hitting.
    #[serde(default)]
    pub(crate) skip: u32,
    /// Milliseconds for `latency_ms` and `timeout`.
    #[serde(default)]
    pub(crate) ms: Option<u64>,
    /// The status for `http_500` (any 5xx).
    #[serde(default)]
    pub(crate) status: Option<u16>,
    /// Run the request first, then fail its answer: the gateway did the work but the caller never
    /// learns it (the case idempotency and polling exist for).
    #[serde(default)]
    pub(crate) processed: bool,
    /// For `refuse`: the gateway's error code (Payzero `errorCode`, Shouqianba `error_code`, EZR
    /// `BusinessCode`).
    #[serde(default)]
    pub(crate) code: Option<String>,
    /// For `refuse`: the gateway's error text (`errorMsg`, `error_message`, `Msg`).
    #[serde(default)]
    pub(crate) message: Option<String>,
    /// For a Shouqianba `refuse`: `"400"`/`"500"` refuse in the communication layer
    /// (`result_code`); anything else is the business `biz_response.result_code` (default `FAIL`).
    #[serde(default)]
    pub(crate) result: Option<String>,
}

/// A rule in force.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Fault {
    pub(crate) id: u64,
    #[serde(flatten)]
    pub(crate) spec: FaultSpec,
    /// Hits left; `None` when `always`.
    pub(crate) remaining: Option<u32>,
    pub(crate) skip_left: u32,
    pub(crate) hits: u32,
}

/// A fault that a request or notification ran into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) id: u64,
    pub(crate) kind: FaultKind,
    pub(crate) ms: Option<u64>,
    pub(crate) status: Option<u16>,
    pub(crate) processed: bool,
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) result: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum FaultError {
    #[error("`status` must be between 500 and 599")]
    Status,
    #[error("`{0}` needs `ms`")]
    NeedsMs(&'static str),
    #[error("`times` must be at least 1 (use `always` for a permanent fault)")]
    Times,
    #[error("`refuse` needs `code` or `result`")]
    NeedsCode,
}

#[derive(Debug, Default)]
pub(crate) struct Faults {
    rules: Vec<Fault>,
    next_id: u64,
}

impl Faults {
    pub(crate) fn add(&mut self, spec: FaultSpec) -> Result<u64, FaultError> {
        if spec.status.is_some_and(|s| !(500..=599).contains(&s)) {
            return Err(FaultError::Status);
        }
        if spec.kind == FaultKind::LatencyMs && spec.ms.is_none() {
            return Err(FaultError::NeedsMs("latency_ms"));
        }
        if spec.times == Some(0) {
            return Err(FaultError::Times);
        }
        if spec.kind == FaultKind::Refuse && spec.code.is_none() && spec.result.is_none() {
            return Err(FaultError::NeedsCode);
        }
        self.next_id += 1;
        let remaining = if spec.always { None } else { Some(spec.times.unwrap_or(1)) };
        self.rules.push(Fault { id: self.next_id, skip_left: spec.skip, remaining, hits: 0, spec });
        Ok(self.next_id)
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    pub(crate) fn list(&self) -> &[Fault] {
        &self.rules
    }

    /// The fault the request to `path` runs into, consuming one hit.
    pub(crate) fn take_for_request(&mut self, path: &str) -> Option<Hit> {
        self.take(|rule| {
            !rule.spec.kind.is_notification() && path_matches(rule.spec.endpoint.as_deref(), path)
        })
    }

    /// The fault a notification attempt to `url` runs into, consuming one hit.
    pub(crate) fn take_for_notification(&mut self, url: &str) -> Option<Hit> {
        self.take(|rule| {
            rule.spec.kind.is_notification() && rule.spec.endpoint.as_deref().is_none_or(|e| url.contains(e))
        })
    }

    fn take(&mut self, matches: impl Fn(&Fault) -> bool) -> Option<Hit> {
        let mut hit = None;
        for rule in self.rules.iter_mut().filter(|r| matches(r)) {
            if rule.skip_left > 0 {
                rule.skip_left -= 1;
                continue;
            }
            rule.hits += 1;
            if let Some(n) = rule.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
            hit = Some(Hit {
                id: rule.id,
                kind: rule.spec.kind,
                ms: rule.spec.ms,
                status: rule.spec.status,
                processed: rule.spec.processed,
                code: rule.spec.code.clone(),
                message: rule.spec.message.clone(),
                result: rule.spec.result.clone(),
            });
            break;
        }
        self.rules.retain(|r| r.remaining != Some(0));
        hit
    }
}

fn path_matches(endpoint: Option<&str>, path: &str) -> bool {
    match endpoint {
        None => true,
        Some(e) => match e.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => e == path,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(endpoint: &str, kind: FaultKind) -> FaultSpec {
        FaultSpec {
            endpoint: Some(endpoint.into()),
            kind,
            times: None,
            always: false,
            skip: 0,
            ms: None,
            status: None,
            processed: false,
            code: None,
            message: None,
            result: None,
        }
    }

    #[test]
    fn a_fault_hits_exactly_times_after_skip() {
        let mut f = Faults::default();
        let mut s = spec("/payzero/order/queryOrder", FaultKind::Http500);
        s.times = Some(2);
        s.skip = 1;
        f.add(s).unwrap();
        assert!(f.take_for_request("/payzero/order/queryOrder").is_none()); // skipped
        assert!(f.take_for_request("/payzero/order/qrCode").is_none()); // other path
        assert!(f.take_for_request("/payzero/order/queryOrder").is_some());
        assert!(f.take_for_request("/payzero/order/queryOrder").is_some());
        assert!(f.take_for_request("/payzero/order/queryOrder").is_none());
        assert!(f.list().is_empty());
    }

    #[test]
    fn prefixes_always_and_notification_faults_are_separate() {
        let mut f = Faults::default();
        let mut s = spec("/shouqianba/*", FaultKind::Timeout);
        s.always = true;
        f.add(s).unwrap();
        f.add(spec("cb", FaultKind::DropNotification)).unwrap();
        for _ in 0..3 {
            assert_eq!(
                f.take_for_request("/shouqianba/upay/v2/pay").map(|h| h.kind),
                Some(FaultKind::Timeout)
            );
        }
        assert!(f.take_for_request("/ezr/upay/pay").is_none());
        assert!(f.take_for_notification("http://127.0.0.1:1/other").is_none());
        assert_eq!(
            f.take_for_notification("http://127.0.0.1:1/cb").map(|h| h.kind),
            Some(FaultKind::DropNotification)
        );
        assert!(f.take_for_notification("http://127.0.0.1:1/cb").is_none());
    }

    #[test]
    fn bad_rules_are_refused() {
        let mut f = Faults::default();
        let mut s = spec("/x", FaultKind::Http500);
        s.status = Some(404);
        assert_eq!(f.add(s), Err(FaultError::Status));
        assert_eq!(f.add(spec("/x", FaultKind::LatencyMs)), Err(FaultError::NeedsMs("latency_ms")));
        assert_eq!(f.add(spec("/x", FaultKind::Refuse)), Err(FaultError::NeedsCode));
    }
}
