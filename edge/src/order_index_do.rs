//! `OrderIndex`: the ids of the sessions made for each shop order number (`merchant_order_no`),
//! newest first (`checkout_shared::session::remember_session` keeps a list), so
//! `GET /v1/sessions?merchant_order_no=…` finds them. The lists live in `shard::SHARDS` objects
//! picked by a hash of the order number (`checkout_shared::shard`), one SQLite row per order,
//! read and written without an await in between. Only the worker's merchant routes call it.
//!
//! Objects of the earlier layout (one per order number, named by it, the list under `sessions`)
//! are read on an upgraded deployment (`PER_KEY_OBJECTS_UNTIL`): a look-up copies the order's
//! list into its shard once, after which that object is not read again (ARCHITECTURE.md).

use crate::config;
use crate::error::{self, EdgeError};
use crate::objects;
use checkout_shared::session::remember_session;
use checkout_shared::shard;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use worker::{DurableObject, Env, Request, Response, SqlStorage, State, durable_object};

const BINDING: &str = "ORDER_INDEX";
/// Where an object of the earlier layout keeps its order's list.
const PER_ORDER_SESSIONS: &str = "sessions";

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Ask {
    Remember {
        order_no: String,
        session_id: String,
    },
    List {
        order_no: String,
    },
    /// Adds the list of the order's object of the earlier layout; `last` marks it copied for good.
    Merge {
        order_no: String,
        earlier: Vec<String>,
        last: bool,
    },
    /// To an order's object of the earlier layout: its list, read only.
    PerOrderSessions,
}

/// An order's list as its shard holds it.
#[derive(Serialize, Deserialize, Default)]
struct Listed {
    sessions: Vec<String>,
    /// The order's object of the earlier layout was copied in for good.
    copied: bool,
}

/// Adds a session to its order's list (before the session exists: a look-up skips an id whose
/// session was never made, while a session missing from its list could not be found).
pub(crate) async fn remember(env: &Env, merchant_order_no: &str, session_id: &str) -> Result<(), EdgeError> {
    let remember =
        Ask::Remember { order_no: merchant_order_no.to_owned(), session_id: session_id.to_owned() };
    ask(env, &shard::shard_name(merchant_order_no), &remember).await?;
    Ok(())
}

/// The ids of the sessions made for `merchant_order_no`, newest first.
pub(crate) async fn list(env: &Env, merchant_order_no: &str) -> Result<Vec<String>, EdgeError> {
    let order_no = merchant_order_no.to_owned();
    let shard = shard::shard_name(merchant_order_no);
    let listed: Listed = decode(&ask(env, &shard, &Ask::List { order_no: order_no.clone() }).await?)?;
    let until = config::per_key_objects_until(env)?;
    if !shard::consult_per_order_object(until, listed.copied) {
        return Ok(listed.sessions);
    }
    let earlier: Vec<String> = decode(&ask(env, merchant_order_no, &Ask::PerOrderSessions).await?)?;
    let last = shard::copy_is_final(until, config::now_ms() / 1000);
    if earlier.is_empty() && !last {
        return Ok(listed.sessions);
    }
    decode(&ask(env, &shard, &Ask::Merge { order_no, earlier, last }).await?)
}

fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, EdgeError> {
    serde_json::from_slice(body).map_err(|e| EdgeError::Internal(format!("order index answer: {e}")))
}

async fn ask(env: &Env, object: &str, ask: &Ask) -> Result<Vec<u8>, EdgeError> {
    let body = serde_json::to_vec(ask).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let mut answer = objects::post(env, BINDING, object, "https://order-index.internal/", &body).await?;
    if answer.status_code() != 200 {
        return Err(EdgeError::Internal(format!("order index answered {}", answer.status_code())));
    }
    Ok(answer.bytes().await?)
}

#[durable_object(fetch)]
pub struct OrderIndex {
    state: State,
    /// The table exists (made once per instance).
    ready: Cell<bool>,
}

#[derive(Deserialize)]
struct Row {
    sessions: String,
    copied: f64,
}

impl DurableObject for OrderIndex {
    fn new(state: State, _env: Env) -> Self {
        OrderIndex { state, ready: Cell::new(false) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            let ask: Ask = serde_json::from_slice(&req.bytes().await?)
                .map_err(|e| EdgeError::Internal(format!("order index request: {e}")))?;
            match ask {
                Ask::Remember { order_no, session_id } => {
                    let sql = self.sql()?;
                    let mut listed = listed(&sql, &order_no)?;
                    remember_session(&mut listed.sessions, &session_id);
                    store(&sql, &order_no, &listed)?;
                    error::json(&serde_json::json!({}), 200)
                }
                Ask::List { order_no } => error::json(&listed(&self.sql()?, &order_no)?, 200),
                Ask::Merge { order_no, earlier, last } => {
                    let sql = self.sql()?;
                    let mut listed = listed(&sql, &order_no)?;
                    shard::merge_earlier_sessions(&mut listed.sessions, &earlier);
                    listed.copied |= last;
                    store(&sql, &order_no, &listed)?;
                    error::json(&listed.sessions, 200)
                }
                Ask::PerOrderSessions => {
                    let sessions: Option<Vec<String>> = self.state.storage().get(PER_ORDER_SESSIONS).await?;
                    error::json(&sessions.unwrap_or_default(), 200)
                }
            }
        }
        .await;
        error::handle(result)
    }
}

impl OrderIndex {
    /// The shard's table, made on first use.
    fn sql(&self) -> Result<SqlStorage, EdgeError> {
        let sql = self.state.storage().sql();
        if !self.ready.get() {
            sql.exec(
                "CREATE TABLE IF NOT EXISTS order_sessions \
                 (order_no TEXT PRIMARY KEY, sessions TEXT NOT NULL, copied INTEGER NOT NULL)",
                None,
            )?;
            self.ready.set(true);
        }
        Ok(sql)
    }
}

fn listed(sql: &SqlStorage, order_no: &str) -> Result<Listed, EdgeError> {
    let rows: Vec<Row> = sql
        .exec("SELECT sessions, copied FROM order_sessions WHERE order_no = ?", vec![order_no.into()])?
        .to_array()?;
    let Some(row) = rows.first() else { return Ok(Listed::default()) };
    let sessions = serde_json::from_str(&row.sessions)
        .map_err(|e| EdgeError::Internal(format!("stored order index: {e}")))?;
    Ok(Listed { sessions, copied: row.copied != 0.0 })
}

fn store(sql: &SqlStorage, order_no: &str, listed: &Listed) -> Result<(), EdgeError> {
    let text = serde_json::to_string(&listed.sessions).map_err(|e| EdgeError::Internal(e.to_string()))?;
    sql.exec(
        "INSERT OR REPLACE INTO order_sessions (order_no, sessions, copied) VALUES (?, ?, ?)",
        vec![order_no.into(), text.into(), i64::from(listed.copied).into()],
    )?;
    Ok(())
}
