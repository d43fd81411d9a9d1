//! `IdempotencyKeys`: the records of the merchant API's `Idempotency-Key`s, in `shard::SHARDS`
//! objects picked by a hash of the key (`checkout_shared::shard`), one SQLite row per key with its
//! own expiry. The object applies `checkout_shared::idempotency::decide` to the key's record (the
//! rule lives there) without awaiting anything between reading and writing it, so no other
//! request of the shard interleaves; an alarm deletes expired rows, at most hourly. Only the
//! worker's merchant routes call it.
//!
//! Objects of the earlier layout (one per key, named by the key, the record under `record`) are
//! read, never written, while they may hold a live record (`PER_KEY_OBJECTS_UNTIL`, see
//! ARCHITECTURE.md); they forget their records by their own alarms.

use crate::config;
use crate::error::{self, EdgeError};
use crate::objects;
use checkout_shared::idempotency::{self, Decision, Record, StoredAnswer};
use checkout_shared::shard;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use worker::{DurableObject, Env, Request, Response, SqlStorage, State, durable_object, js_sys};

const BINDING: &str = "IDEMPOTENCY_KEYS";
/// Where an object of the earlier layout keeps its one record.
const PER_KEY_RECORD: &str = "record";

/// What the worker asks.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Ask {
    /// Begin a request with `key`; `earlier` is the key's record in its object of the earlier
    /// layout, when that may still count.
    Begin { key: String, fingerprint: String, now: u64, earlier: Option<Record> },
    /// Finish it: `answer` is `None` when the answer is not to be kept (the key is released).
    Finish { key: String, fingerprint: String, answer: Option<StoredAnswer> },
    /// To a key's object of the earlier layout: its record, read only.
    PerKeyRecord,
}

/// The object's answer to `Begin`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub(crate) enum Begun {
    Proceed,
    Replay { answer: StoredAnswer },
    Conflict,
    InProgress,
}

/// Begins a request with `key` and `fingerprint`.
pub(crate) async fn begin(env: &Env, key: &str, fingerprint: &str, now: u64) -> Result<Begun, EdgeError> {
    let earlier = if shard::consult_per_key_record(config::per_key_objects_until(env)?, now) {
        let answer = ask(env, key, &Ask::PerKeyRecord).await?;
        serde_json::from_slice(&answer)
            .map_err(|e| EdgeError::Internal(format!("per-key idempotency record: {e}")))?
    } else {
        None
    };
    let begin = Ask::Begin { key: key.to_owned(), fingerprint: fingerprint.to_owned(), now, earlier };
    let answer = ask(env, &shard::shard_name(key), &begin).await?;
    serde_json::from_slice(&answer)
        .map_err(|e| EdgeError::Internal(format!("idempotency object answer: {e}")))
}

/// Finishes a request: keeps its answer if it is one to repeat, releases the key otherwise.
pub(crate) async fn finish(
    env: &Env,
    key: &str,
    fingerprint: &str,
    answer: &StoredAnswer,
) -> Result<(), EdgeError> {
    let answer = idempotency::keeps(answer.status).then(|| answer.clone());
    let finish = Ask::Finish { key: key.to_owned(), fingerprint: fingerprint.to_owned(), answer };
    ask(env, &shard::shard_name(key), &finish).await?;
    Ok(())
}

async fn ask(env: &Env, object: &str, ask: &Ask) -> Result<Vec<u8>, EdgeError> {
    let body = serde_json::to_vec(ask).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let mut answer = objects::post(env, BINDING, object, "https://idempotency.internal/", &body).await?;
    if answer.status_code() != 200 {
        return Err(EdgeError::Internal(format!("idempotency object answered {}", answer.status_code())));
    }
    Ok(answer.bytes().await?)
}

#[durable_object(alarm)]
pub struct IdempotencyKeys {
    state: State,
    /// The table exists (made once per instance).
    ready: Cell<bool>,
    /// The cleanup alarm as last read or set (unix ms); unknown until first needed.
    alarm: Cell<Option<Option<u64>>>,
}

#[derive(Deserialize)]
struct RecordRow {
    record: String,
}

#[derive(Deserialize)]
struct NextRow {
    next: Option<f64>,
}

impl DurableObject for IdempotencyKeys {
    fn new(state: State, _env: Env) -> Self {
        IdempotencyKeys { state, ready: Cell::new(false), alarm: Cell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            let ask: Ask = serde_json::from_slice(&req.bytes().await?)
                .map_err(|e| EdgeError::Internal(format!("idempotency request: {e}")))?;
            match ask {
                Ask::Begin { key, fingerprint, now, earlier } => {
                    let sql = self.sql()?;
                    let own = record_of(&sql, &key)?;
                    let record = shard::current_record(own.as_ref(), earlier.as_ref(), now);
                    let begun = match idempotency::decide(record, &fingerprint, now) {
                        Decision::Proceed(record) => {
                            store(&sql, &key, &record)?;
                            self.arm_cleanup(shard::expiry_of(&record), now).await?;
                            Begun::Proceed
                        }
                        Decision::Replay(answer) => Begun::Replay { answer },
                        Decision::Conflict => Begun::Conflict,
                        Decision::InProgress => Begun::InProgress,
                    };
                    error::json(&begun, 200)
                }
                Ask::Finish { key, fingerprint, answer } => {
                    let sql = self.sql()?;
                    // Only the request that holds the key finishes it.
                    let held =
                        record_of(&sql, &key)?.filter(|r| r.fingerprint == fingerprint && r.answer.is_none());
                    if let Some(mut record) = held {
                        match answer {
                            Some(answer) => {
                                record.answer = Some(answer);
                                store(&sql, &key, &record)?;
                            }
                            None => {
                                sql.exec("DELETE FROM idempotency_records WHERE key = ?", vec![key.into()])?;
                            }
                        }
                    }
                    error::json(&serde_json::json!({}), 200)
                }
                Ask::PerKeyRecord => {
                    let record: Option<Record> = self.state.storage().get(PER_KEY_RECORD).await?;
                    error::json(&record, 200)
                }
            }
        }
        .await;
        error::handle(result)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let now = config::now_ms() / 1000;
        // An object of the earlier layout: its one record's life is over.
        if !self.has_table()? {
            self.state.storage().delete_all().await?;
            return Response::empty();
        }
        let sql = self.sql().map_err(|e| worker::Error::RustError(e.to_string()))?;
        sql.exec("DELETE FROM idempotency_records WHERE expires <= ?", vec![(now as i64).into()])?;
        let next: Vec<NextRow> =
            sql.exec("SELECT MIN(expires) AS next FROM idempotency_records", None)?.to_array()?;
        self.alarm.set(Some(None));
        if let Some(earliest) = next.first().and_then(|r| r.next) {
            self.set_alarm(shard::next_cleanup(earliest as u64, now)).await?;
        }
        Response::empty()
    }
}

impl IdempotencyKeys {
    /// The shard's table, made on first use.
    fn sql(&self) -> Result<SqlStorage, EdgeError> {
        let sql = self.state.storage().sql();
        if !self.ready.get() {
            sql.exec(
                "CREATE TABLE IF NOT EXISTS idempotency_records \
                 (key TEXT PRIMARY KEY, record TEXT NOT NULL, expires INTEGER NOT NULL)",
                None,
            )?;
            sql.exec(
                "CREATE INDEX IF NOT EXISTS idempotency_records_expiry ON idempotency_records (expires)",
                None,
            )?;
            self.ready.set(true);
        }
        Ok(sql)
    }

    /// Whether this object is a shard (its table exists) rather than one of the earlier layout.
    fn has_table(&self) -> worker::Result<bool> {
        if self.ready.get() {
            return Ok(true);
        }
        #[derive(Deserialize)]
        struct Count {
            n: f64,
        }
        let rows: Vec<Count> = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'idempotency_records'",
                None,
            )?
            .to_array()?;
        Ok(rows.first().is_some_and(|r| r.n > 0.0))
    }

    /// Makes sure a cleanup alarm is set by the time a record made now expires. Records expire in
    /// the order they are made, so an alarm already set is never later than this one's expiry.
    async fn arm_cleanup(&self, expiry: u64, now: u64) -> Result<(), EdgeError> {
        let known = match self.alarm.get() {
            Some(known) => known,
            None => {
                let set = self.state.storage().get_alarm().await?.map(|ms| ms as u64);
                self.alarm.set(Some(set));
                set
            }
        };
        if known.is_none() {
            self.set_alarm(shard::next_cleanup(expiry, now)).await?;
        }
        Ok(())
    }

    async fn set_alarm(&self, at_secs: u64) -> worker::Result<()> {
        let at_ms = at_secs.saturating_mul(1000);
        let date = js_sys::Date::new(&js_sys::Number::from(at_ms as f64));
        self.state.storage().set_alarm(worker::ScheduledTime::new(date)).await?;
        self.alarm.set(Some(Some(at_ms)));
        Ok(())
    }
}

fn record_of(sql: &SqlStorage, key: &str) -> Result<Option<Record>, EdgeError> {
    let rows: Vec<RecordRow> =
        sql.exec("SELECT record FROM idempotency_records WHERE key = ?", vec![key.into()])?.to_array()?;
    rows.first()
        .map(|row| serde_json::from_str(&row.record))
        .transpose()
        .map_err(|e| EdgeError::Internal(format!("stored idempotency record: {e}")))
}

fn store(sql: &SqlStorage, key: &str, record: &Record) -> Result<(), EdgeError> {
    let text = serde_json::to_string(record).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let expires = shard::expiry_of(record) as i64;
    sql.exec(
        "INSERT OR REPLACE INTO idempotency_records (key, record, expires) VALUES (?, ?, ?)",
        vec![key.into(), text.into(), expires.into()],
    )?;
    Ok(())
}
