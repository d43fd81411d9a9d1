//! The sandbox clock: real time plus an offset that only moves forward. Tests move it with
//! `POST /__admin/clock/advance` to expire tokens, QR codes and terminal keys and to run
//! notification retries without sleeping.

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Debug, Default)]
pub(crate) struct Clock {
    offset_ms: u64,
}

impl Clock {
    /// Milliseconds since the Unix epoch, as the sandbox sees them.
    pub(crate) fn now_ms(&self) -> u64 {
        real_now_ms().saturating_add(self.offset_ms)
    }

    /// Seconds since the Unix epoch, as the sandbox sees them (JWT `iat`/`exp`).
    pub(crate) fn now_s(&self) -> u64 {
        self.now_ms() / 1000
    }

    pub(crate) fn offset_ms(&self) -> u64 {
        self.offset_ms
    }

    /// The offset read back from the state file: the clock goes on where it was.
    pub(crate) fn set_offset_ms(&mut self, offset_ms: u64) {
        self.offset_ms = offset_ms;
    }

    /// Moves the clock forward; it never goes back, so nothing that expired comes back to life.
    pub(crate) fn advance(&mut self, seconds: u64) {
        self.offset_ms = self.offset_ms.saturating_add(seconds.saturating_mul(1000));
    }
}

fn real_now_ms() -> u64 {
    // A system clock before 1970 is not a state worth failing over: it reads as the epoch.
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_forward_only() {
        let mut clock = Clock::default();
        let before = clock.now_ms();
        clock.advance(600);
        assert!(clock.now_ms() >= before + 600_000);
        assert_eq!(clock.offset_ms(), 600_000);
    }
}
