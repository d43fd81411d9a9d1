//! Starting the sandbox in-process, talking to it, and a tiny notification receiver; plus the
//! independent signers (hand-rolled from PRODUCT.md, not from checkout-shared).

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use checkout_sandbox::{Config, Sandbox, start};
use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

pub(crate) struct Env {
    pub(crate) sandbox: Sandbox,
    pub(crate) http: reqwest::Client,
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) text: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl Env {
    pub(crate) async fn start() -> Env {
        Env::with(Config::default()).await
    }

    pub(crate) async fn with(config: Config) -> Env {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let sandbox = start(config, addr).await.expect("sandbox starts");
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(20)).build().unwrap();
        Env { sandbox, http }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.url())
    }

    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request answered");
        let status = response.status().as_u16();
        Reply { status, text: response.text().await.unwrap() }
    }

    pub(crate) async fn post_raw(
        &self,
        path: &str,
        body: impl Into<String>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut rb =
            self.http.post(self.url(path)).header("content-type", "application/json").body(body.into());
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        self.send(rb).await
    }

    pub(crate) async fn get_raw(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut rb = self.http.get(self.url(path));
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        self.send(rb).await
    }

    pub(crate) async fn admin(&self, path: &str, body: Value) -> Reply {
        self.post_raw(&format!("/__admin{path}"), body.to_string(), &[]).await
    }

    pub(crate) async fn admin_get(&self, path: &str) -> Value {
        let r = self.get_raw(&format!("/__admin{path}"), &[]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    }

    pub(crate) async fn advance(&self, seconds: u64) {
        let r = self.admin("/clock/advance", json!({ "seconds": seconds })).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    // --- Payzero

    pub(crate) async fn pz_login(&self) -> String {
        let r = self
            .post_raw(
                "/payzero/auth/login",
                json!({"username": "sandbox-app", "password": "sandbox-app-key"}).to_string(),
                &[],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()["data"]["token"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn pz_post(&self, token: &str, path: &str, body: &Value) -> Reply {
        let auth = format!("Bearer {token}");
        self.post_raw(&format!("/payzero{path}"), body.to_string(), &[("authorization", &auth)]).await
    }

    pub(crate) async fn pz_get(&self, token: &str, path_and_query: &str) -> Reply {
        let auth = format!("Bearer {token}");
        self.get_raw(&format!("/payzero{path_and_query}"), &[("authorization", &auth)]).await
    }

    /// A successful Payzero call's `data`.
    pub(crate) async fn pz_ok(&self, token: &str, path: &str, body: &Value) -> Value {
        let r = self.pz_post(token, path, body).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let v = r.json();
        assert_eq!(v["success"], true, "{v}");
        v["data"].clone()
    }

    pub(crate) async fn pz_get_ok(&self, token: &str, path_and_query: &str) -> Value {
        let r = self.pz_get(token, path_and_query).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let v = r.json();
        assert_eq!(v["success"], true, "{v}");
        v["data"].clone()
    }
}

/// The spec's 4.1 request example, with a given order number and QR type.
pub(crate) fn qr_order(no: &str, qr_type: &str) -> Value {
    let mut v: Value = serde_json::from_str(PZ_QR_EXAMPLE).unwrap();
    v["mchtOrderNo"] = json!(no);
    v["qrCodeType"] = json!(qr_type);
    v
}

/// payzero-quickpay.md 4.1, verbatim.
pub(crate) const PZ_QR_EXAMPLE: &str = r#"
  {
  	"qrCodeType" : "WECHATPAY",
  	"needDeclare" : false,
  	"currency": "CNY",
  	"customsCode": "HG022",
  	"customsAreaCode": "5130",
  	"customsJyOrg": "440009",
  	"customsInType": "2",
  	"items": [
      {
        "articleNum": "HH00001",
        "itemLink": "http://www.baidu.com",
        "subject": "测试商品1"
      },
       {
        "articleNum": "HH00002",
        "itemLink": "http://www.baidu.com",
        "subject": "测试商品2"
      }
    ],
    "mchtOrderNo": "F20190402123",
    "orderDatetime": "2019-04-02 11:11:46",
    "payerName": "李白",
    "payerNumber": "310327198009270027",
    "payerPhone": "13800138000",
    "paymentAmount": 3352,
    "subject": "测试商品1"
  }"#;

/// PRODUCT.md's Payzero notification rule by hand: the three strings sorted, concatenated,
/// SHA-1, lowercase hex.
pub(crate) fn independent_payzero_sign(token: &str, timestamp: &str, msg_body: &str) -> String {
    let mut parts = [token.to_owned(), timestamp.to_owned(), msg_body.to_owned()];
    parts.sort();
    let mut h = Sha1::new();
    h.update(parts.join("").as_bytes());
    hex::encode(h.finalize())
}

/// A notification receiver on a free loopback port. It answers each POST with the next scripted
/// answer (then `OK` forever) and hands the bodies to the test.
pub(crate) struct Receiver {
    pub(crate) url: String,
    bodies: mpsc::UnboundedReceiver<String>,
    script: Arc<Mutex<VecDeque<String>>>,
}

#[derive(Clone)]
struct ReceiverState {
    tx: mpsc::UnboundedSender<String>,
    script: Arc<Mutex<VecDeque<String>>>,
}

async fn receive(State(s): State<ReceiverState>, body: String) -> String {
    let _ = s.tx.send(body);
    s.script.lock().unwrap().pop_front().unwrap_or_else(|| "OK".into())
}

impl Receiver {
    pub(crate) async fn start() -> Receiver {
        let (tx, bodies) = mpsc::unbounded_channel();
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let app = Router::new()
            .route("/cb", post(receive))
            .with_state(ReceiverState { tx, script: script.clone() });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/cb", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, bodies, script }
    }

    /// The next answers to give, in order.
    pub(crate) fn answer_with(&self, answers: &[&str]) {
        self.script.lock().unwrap().extend(answers.iter().map(|s| s.to_string()));
    }

    /// The next body received (waits on the channel, bounded; no sleeping).
    pub(crate) async fn next(&mut self) -> Value {
        let body = tokio::time::timeout(Duration::from_secs(10), self.bodies.recv())
            .await
            .expect("a notification arrives")
            .expect("receiver open");
        serde_json::from_str(&body).unwrap()
    }

    /// Whether a body is waiting right now.
    pub(crate) fn has_pending(&mut self) -> bool {
        !self.bodies.is_empty()
    }
}

/// PRODUCT.md's Shouqianba rule by hand: MD5 over the body bytes followed by the key, lowercase hex.
pub(crate) fn independent_sqb_sign(body: &[u8], key: &str) -> String {
    use md5::{Digest as _, Md5};
    let mut h = Md5::new();
    h.update(body);
    h.update(key.as_bytes());
    hex::encode(h.finalize())
}

impl Env {
    /// Posts `body` to a Shouqianba path signed as `signer` with `key`.
    pub(crate) async fn sqb_raw(&self, path: &str, signer: &str, key: &str, body: &str) -> Value {
        let auth = format!("{signer} {}", independent_sqb_sign(body.as_bytes(), key));
        let r = self.post_raw(&format!("/shouqianba{path}"), body, &[("authorization", &auth)]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    }

    pub(crate) async fn sqb(&self, terminal: &(String, String), path: &str, body: &Value) -> Value {
        self.sqb_raw(path, &terminal.0, &terminal.1, &body.to_string()).await
    }

    /// Activates a terminal with the default vendor and code: (terminal_sn, terminal_key).
    pub(crate) async fn sqb_activate(&self) -> (String, String) {
        let body = json!({"app_id": "2019", "code": "12345678", "device_id": "till-1"}).to_string();
        let v = self.sqb_raw("/terminal/activate", "sandbox-vendor", "sandbox-vendor-key", &body).await;
        assert_eq!(v["result_code"], "200", "{v}");
        let keys = &v["biz_response"];
        (keys["terminal_sn"].as_str().unwrap().to_owned(), keys["terminal_key"].as_str().unwrap().to_owned())
    }
}

/// A pay body for the terminal.
pub(crate) fn sqb_pay(terminal: &(String, String), client_sn: &str, amount: &str, barcode: &str) -> Value {
    json!({
        "terminal_sn": terminal.0, "client_sn": client_sn, "total_amount": amount,
        "dynamic_id": barcode, "subject": "达美乐披萨", "operator": "刘侃"
    })
}

/// PRODUCT.md's EZR rule by hand: every parameter but `Sign`, plus `Token`; empty values dropped;
/// sorted by key in byte order; `k=v` joined with `&` (raw values); SHA-1, lowercase hex. Lists
/// and objects, which the spec does not address, take part as their compact JSON.
pub(crate) fn independent_ezr_sign(params: &serde_json::Map<String, Value>, token: &str) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "Sign")
        .filter_map(|(k, v)| {
            let text = match v {
                Value::Null => return None,
                Value::String(s) => s.clone(),
                Value::Array(a) if a.is_empty() => return None,
                other => other.to_string(),
            };
            (!text.is_empty()).then(|| (k.clone(), text))
        })
        .collect();
    pairs.push(("Token".into(), token.into()));
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let string1 = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let mut h = Sha1::new();
    h.update(string1.as_bytes());
    hex::encode(h.finalize())
}

/// An EZR body: the business parameters plus the common ones, signed with `token`.
pub(crate) fn ezr_signed(business: Value, token: &str) -> String {
    let mut map = business.as_object().cloned().unwrap_or_default();
    map.insert("AppId".into(), json!("EZP"));
    map.insert("Timestamp".into(), json!("20190823141109"));
    map.insert("ShopCode".into(), json!("HQ01S001"));
    map.insert("UserCode".into(), json!("KB1001"));
    let sign = independent_ezr_sign(&map, token);
    map.insert("Sign".into(), json!(sign));
    Value::Object(map).to_string()
}

impl Env {
    pub(crate) async fn ezr_raw(&self, path: &str, body: String) -> Value {
        let r = self.post_raw(&format!("/ezr{path}"), body, &[]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json()
    }

    pub(crate) async fn ezr(&self, path: &str, business: Value) -> Value {
        self.ezr_raw(path, ezr_signed(business, "sandbox-ezr-token")).await
    }
}
