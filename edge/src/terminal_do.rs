//! `ShouqianbaTerminal`: one Durable Object per Shouqianba terminal (named by its device id,
//! `SHOUQIANBA_DEVICE_ID`), the only code that signs with the terminal's key. It activates the
//! terminal on first use, checks in when the key is from an earlier China day (or Shouqianba
//! answers ILLEGAL_SIGN), stores every new key before using it, and runs one call at a time, so a
//! check-in never overlaps a call signed with the key it kills. The decisions are
//! `checkout_shared::terminal`'s; this only moves bytes. The rest of the edge uses `send` and
//! `check_in`.

use crate::config;
use crate::error::{self, EdgeError};
use crate::objects;
use crate::upstream::{self, UpstreamResponse};
use checkout_shared::api::ErrorBody;
use checkout_shared::gateway::UpstreamRequest;
use checkout_shared::terminal::{
    self, CheckInInfo, Prepare, TerminalError, TerminalState, TradeStep, VendorCredentials,
};
use futures_util::lock::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::{DurableObject, Env, Method, Request, Response, State, durable_object};

const BINDING: &str = "SHOUQIANBA_TERMINAL";
const STORAGE_KEY: &str = "terminal";
/// On the object's answer to a trade call: the status Shouqianba answered. Its absence marks an
/// error answer of the object itself.
const UPSTREAM_STATUS_HEADER: &str = "x-upstream-status";

/// A trade call as the worker hands it to the object.
#[derive(Serialize, Deserialize)]
struct TradeCall {
    path: String,
    body: Map<String, Value>,
}

/// The terminal as this object knows it. Behind the object's mutex, so only the call holding the
/// lock reads or changes it.
#[derive(Default)]
struct Slot {
    /// The state as stored; `None` until loaded (or while no terminal was ever activated).
    stored: Option<TerminalState>,
    /// A state Shouqianba already made current (its old key is dead) that storage has not taken
    /// yet. It is not used until stored, and storing it is retried first on the next call, so a
    /// failed write does not lose the only key that works.
    unsaved: Option<TerminalState>,
}

#[durable_object(fetch)]
pub struct ShouqianbaTerminal {
    state: State,
    env: Env,
    /// Held for the whole of every call, upstream round trips included: a Durable Object takes
    /// new requests while one awaits a fetch, and a check-in must never overlap a call signed
    /// with the old key.
    slot: Mutex<Slot>,
}

impl DurableObject for ShouqianbaTerminal {
    fn new(state: State, env: Env) -> Self {
        ShouqianbaTerminal { state, env, slot: Mutex::new(Slot::default()) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            match (req.method(), req.path().as_str()) {
                (Method::Post, "/trade") => {
                    let body = req.bytes().await?;
                    let call: TradeCall = serde_json::from_slice(&body)
                        .map_err(|e| EdgeError::Internal(format!("terminal trade call: {e}")))?;
                    let answer = self.trade(&call.path, &call.body).await?;
                    let mut response = Response::from_bytes(answer.body)?;
                    response.headers_mut().set(UPSTREAM_STATUS_HEADER, &answer.status.to_string())?;
                    Ok(response)
                }
                (Method::Post, "/checkin") => error::json(&self.forced_check_in().await?, 200),
                _ => Err(EdgeError::NoRoute),
            }
        }
        .await;
        error::handle(result)
    }
}

impl ShouqianbaTerminal {
    fn api_url(&self) -> Result<String, EdgeError> {
        config::var(&self.env, "SHOUQIANBA_API_URL")
    }

    /// A trade call: ready the terminal, sign and send, and on ILLEGAL_SIGN check in and send
    /// once more. The answer is Shouqianba's, whatever it says.
    async fn trade(&self, path: &str, body: &Map<String, Value>) -> Result<UpstreamResponse, EdgeError> {
        let mut slot = self.slot.lock().await;
        let mut current = self.ready(&mut slot).await?;
        let api_url = self.api_url()?;
        let mut attempt = 1;
        loop {
            let request = current.trade_request(&api_url, path, body)?;
            let answer = send_upstream(&request).await?;
            match terminal::after_trade_answer(&answer.body, attempt) {
                TradeStep::Answer => return Ok(answer),
                TradeStep::CheckInAndRetry => {
                    current = self.check_in_locked(&mut slot, &current).await?;
                    attempt += 1;
                }
            }
        }
    }

    /// A check-in now, activating first if there is no terminal yet.
    async fn forced_check_in(&self) -> Result<CheckInInfo, EdgeError> {
        let mut slot = self.slot.lock().await;
        self.flush(&mut slot).await?;
        let current = match self.load(&mut slot).await? {
            Some(current) => current,
            None => self.activate_locked(&mut slot).await?,
        };
        Ok(self.check_in_locked(&mut slot, &current).await?.check_in_info())
    }

    /// The state to sign a trade call with now: activated, and checked in today.
    async fn ready(&self, slot: &mut Slot) -> Result<TerminalState, EdgeError> {
        self.flush(slot).await?;
        let loaded = self.load(slot).await?;
        match (terminal::prepare(loaded.as_ref(), config::now_ms()), loaded) {
            (Prepare::Ready, Some(current)) => Ok(current),
            (Prepare::CheckIn, Some(current)) => self.check_in_locked(slot, &current).await,
            // `prepare` says Activate exactly when there is no terminal yet.
            (_, None) | (Prepare::Activate, Some(_)) => self.activate_locked(slot).await,
        }
    }

    async fn load(&self, slot: &mut Slot) -> Result<Option<TerminalState>, EdgeError> {
        if slot.stored.is_none() {
            let stored: Option<String> = self.state.storage().get(STORAGE_KEY).await?;
            slot.stored = stored
                .map(|text| serde_json::from_str::<TerminalState>(&text))
                .transpose()
                // serde_json's message may quote a value; the key is one, so only say where.
                .map_err(|e| {
                    EdgeError::Internal(format!(
                        "the stored terminal does not load (line {}, column {})",
                        e.line(),
                        e.column()
                    ))
                })?;
        }
        Ok(slot.stored.clone())
    }

    /// Stores `next` before anything uses it; until that worked it waits in `slot.unsaved`.
    async fn persist(&self, slot: &mut Slot, next: TerminalState) -> Result<TerminalState, EdgeError> {
        slot.unsaved = Some(next);
        self.flush(slot).await?;
        slot.stored.clone().ok_or_else(|| EdgeError::Internal("the terminal state vanished".into()))
    }

    /// Writes a pending state, if any, and makes it the current one.
    async fn flush(&self, slot: &mut Slot) -> Result<(), EdgeError> {
        let Some(next) = slot.unsaved.as_ref() else {
            return Ok(());
        };
        let text = serde_json::to_string(next)
            .map_err(|_| EdgeError::Internal("the terminal state does not serialise".into()))?;
        self.state.storage().put(STORAGE_KEY, text).await?;
        slot.stored = slot.unsaved.take();
        Ok(())
    }

    async fn activate_locked(&self, slot: &mut Slot) -> Result<TerminalState, EdgeError> {
        let env = &self.env;
        let device_id = device_id(env)?;
        let vendor = VendorCredentials {
            vendor_sn: config::secret(env, "SHOUQIANBA_VENDOR_SN")?,
            vendor_key: config::secret(env, "SHOUQIANBA_VENDOR_KEY")?,
            app_id: config::secret(env, "SHOUQIANBA_APP_ID")?,
            activation_code: config::secret(env, "SHOUQIANBA_ACTIVATION_CODE")?,
        };
        let answer =
            send_upstream(&terminal::activate_request(&self.api_url()?, &vendor, &device_id)).await?;
        let next = terminal::activated(&device_id, answer.status, &answer.body, config::now_ms())?;
        self.persist(slot, next).await
    }

    async fn check_in_locked(
        &self,
        slot: &mut Slot,
        current: &TerminalState,
    ) -> Result<TerminalState, EdgeError> {
        let answer = send_upstream(&current.checkin_request(&self.api_url()?)).await?;
        // A failed check-in leaves `current` (and storage) as they were.
        let next = current.checked_in(answer.status, &answer.body, config::now_ms())?;
        self.persist(slot, next).await
    }
}

/// `upstream::send`, its failure worded as Shouqianba's.
async fn send_upstream(request: &UpstreamRequest) -> Result<UpstreamResponse, TerminalError> {
    upstream::send(request).await.map_err(TerminalError::Unreachable)
}

fn device_id(env: &Env) -> Result<String, EdgeError> {
    let id = config::var(env, "SHOUQIANBA_DEVICE_ID")?;
    if id.trim().is_empty() {
        return Err(EdgeError::Config("the variable SHOUQIANBA_DEVICE_ID is empty".into()));
    }
    Ok(id)
}

/// Posts `body` to `path` of this deployment's terminal object.
async fn call_object(env: &Env, path: &str, body: Vec<u8>) -> Result<Response, EdgeError> {
    let url = format!("https://shouqianba-terminal.internal{path}");
    objects::post(env, BINDING, &device_id(env)?, &url, &body).await
}

/// An error answer of the object, as the object classified (and logged) it.
async fn relayed_error(mut answer: Response) -> EdgeError {
    let status = answer.status_code();
    match answer.json::<ErrorBody>().await {
        Ok(body) => EdgeError::Relayed { status, code: body.error.code, message: body.error.message },
        Err(_) => EdgeError::Internal(format!("the terminal object answered HTTP {status}")),
    }
}

/// Sends a Shouqianba trade call (`path` such as `/upay/v2/pay`, `body` its JSON fields without
/// `terminal_sn`, which the terminal adds) through the terminal object, and returns Shouqianba's
/// HTTP status and body as they came. Refused for any path outside `/upay/`.
pub(crate) async fn send(
    env: &Env,
    path: &str,
    body: Map<String, Value>,
) -> Result<UpstreamResponse, EdgeError> {
    let call = TradeCall { path: path.to_owned(), body };
    let bytes = serde_json::to_vec(&call).map_err(|e| EdgeError::Internal(format!("trade call: {e}")))?;
    let mut answer = call_object(env, "/trade", bytes).await?;
    let upstream_status = answer.headers().get(UPSTREAM_STATUS_HEADER)?.and_then(|s| s.parse::<u16>().ok());
    match upstream_status {
        Some(status) => Ok(UpstreamResponse { status, body: answer.bytes().await? }),
        None => Err(relayed_error(answer).await),
    }
}

/// Checks the terminal in now (activating it first if needed): its key rotates.
pub(crate) async fn check_in(env: &Env) -> Result<CheckInInfo, EdgeError> {
    let mut answer = call_object(env, "/checkin", b"{}".to_vec()).await?;
    if answer.status_code() != 200 {
        return Err(relayed_error(answer).await);
    }
    Ok(answer.json::<CheckInInfo>().await?)
}
