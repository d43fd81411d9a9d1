//! The demo shop: a product page and a tiny merchant backend, separate from the edge as a real
//! shop would be. The server (never the browser) decides the amount and creates a checkout
//! session on the edge with the merchant key; the order page embeds the checkout with the
//! one-script-tag loader (`checkout.js`: an iframe from the edge's origin, so card data never
//! touches this page) and offers the hosted checkout page as the second way to pay. The page
//! follows `checkout:status` events for its UI only: the shop believes an order is paid only
//! when a correctly signed webhook from the edge says so, and the page learns it from this
//! server.

use anyhow::{Context, Result};
use axum::body::Bytes;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use checkout_client::api::{CreateSessionRequest, PaymentMethod, SessionStatus};
use checkout_client::webhook::Verifier;
use checkout_client::{Client, Fen};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::Mutex;

/// The one shopper of the demo: the bank cards signed in it are saved for this customer id.
const DEMO_CUSTOMER: &str = "demo-shopper";

/// What the shop sells. Prices live here, on the server: the shopper's browser only names a product.
const CATALOG: &[Product] = &[
    Product {
        id: "longjing",
        name_zh: "西湖龙井 250g",
        name_en: "West Lake Longjing tea, 250 g",
        price: Fen(8800),
    },
    Product { id: "teacup", name_zh: "青瓷茶杯", name_en: "Celadon tea cup", price: Fen(3500) },
    Product { id: "sample", name_zh: "试饮装", name_en: "Tasting sample", price: Fen(1) },
];

struct Product {
    id: &'static str,
    name_zh: &'static str,
    name_en: &'static str,
    price: Fen,
}

/// A shop order as the merchant backend records it.
#[derive(Clone, Debug, Serialize)]
struct ShopOrder {
    order_no: String,
    product: String,
    amount: Fen,
    session_id: String,
    /// What the order page hands to the loader; the order JSON need not repeat it.
    #[serde(skip)]
    client_secret: String,
    /// The hosted checkout page, the second way to pay.
    #[serde(skip)]
    checkout_url: String,
    /// `pending` until a verified webhook says otherwise.
    status: String,
    /// Ids of the webhook events already applied, so a retried event changes nothing.
    events: Vec<String>,
}

struct Shop {
    edge_url: String,
    public_url: String,
    /// The merchant API, through the typed client.
    edge: Client,
    /// `WEBHOOK_SECRET` may list two secrets (comma-separated) while the edge's is rotated.
    webhooks: Verifier,
    orders: Mutex<BTreeMap<String, ShopOrder>>,
    next_order: Mutex<u64>,
}

type AppState = Arc<Shop>;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut port: u16 = env_or("DEMO_PORT", "8788").parse().context("DEMO_PORT")?;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => port = args.next().context("--port needs a value")?.parse().context("--port")?,
            other => anyhow::bail!("unknown argument {other:?} (usage: checkout-demo [--port N])"),
        }
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.context("bind")?;
    let addr = listener.local_addr()?;
    let edge_url = env_or("EDGE_URL", "http://127.0.0.1:8787").trim_end_matches('/').to_owned();
    let merchant_key = std::env::var("MERCHANT_SECRET_KEY").context("MERCHANT_SECRET_KEY is not set")?;
    let webhook_secrets = std::env::var("WEBHOOK_SECRET").context("WEBHOOK_SECRET is not set")?;
    let mut secrets = webhook_secrets.split(',').map(str::trim).filter(|s| !s.is_empty());
    let mut webhooks = Verifier::new(secrets.next().context("WEBHOOK_SECRET is empty")?);
    for secret in secrets {
        webhooks = webhooks.also(secret);
    }
    let shop = Arc::new(Shop {
        edge: Client::new(&edge_url, &merchant_key).context("the edge client")?,
        edge_url,
        public_url: env_or("DEMO_PUBLIC_URL", &format!("http://{addr}")),
        webhooks,
        orders: Mutex::new(BTreeMap::new()),
        next_order: Mutex::new(1),
    });
    let app = Router::new()
        .route("/", get(product_page))
        .route("/buy", post(buy))
        .route("/orders/{order_no}", get(order_page))
        .route("/order.js", get(order_script))
        .route("/api/orders/{order_no}", get(order_json))
        .route("/webhook", post(webhook))
        .with_state(shop);
    println!("demo shop listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// A page of the shop, under a strict policy of its own: scripts only from the shop and the edge
/// (the loader), frames only from the edge, and nothing else fetched from elsewhere. The loader
/// works under it unchanged.
fn page(edge_url: &str, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}}
h1{{font-size:1.5rem}} h2{{font-size:1.2rem;margin:0}}
.card{{background:#fff;border:1px solid #ddd;border-radius:12px;padding:1rem;margin:1rem 0;display:flex;justify-content:space-between;align-items:center;gap:1rem}}
button{{font-size:1rem;padding:.6rem 1.2rem;border-radius:8px;border:0;background:#07c160;color:#fff;cursor:pointer;white-space:nowrap}}
.muted{{color:#666;font-size:.9rem}} .paid{{color:#07a050;font-weight:bold}}
.order{{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;flex-wrap:wrap;margin:1rem 0 .25rem}}
.status{{margin:.5rem 0 1rem;padding:.6rem .8rem;border-radius:8px;background:#f0f0ec}}
.status.confirming{{background:#fff6dd}} .status.paid{{background:#e6f7ed}} .status.closed{{background:#fdecec}}
.pay{{min-height:8rem}} h2{{overflow-wrap:anywhere}}
.alt{{text-align:center;margin:1rem 0}} a{{color:#0a6c3b}}
@media (max-width:360px){{body{{margin:1rem auto;padding:0 .5rem}} h2{{font-size:1.05rem}} .card{{flex-direction:column;align-items:stretch}}}}</style></head>
<body><h1>茶舍 Demo Tea Shop</h1>{body}
<p class="muted">这是 Checkout Edge 的演示商店，连接本地沙箱，不会产生真实扣款。 A demo shop on the local sandbox: no real money moves.</p>
</body></html>"#
    );
    let policy = format!(
        "default-src 'self'; script-src 'self' {edge_url}; frame-src {edge_url}; style-src 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    );
    let mut response = Html(html).into_response();
    if let Ok(value) = header::HeaderValue::from_str(&policy) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

async fn product_page(State(shop): State<AppState>) -> Response {
    let cards: String = CATALOG
        .iter()
        .map(|p| {
            format!(
                r#"<form class="card" method="post" action="/buy"><div><strong>{}</strong><br><span class="muted">{}</span><br>{}</div>
<input type="hidden" name="product" value="{}"><button type="submit" data-product="{}">购买 Buy</button></form>"#,
                escape(p.name_zh),
                escape(p.name_en),
                p.price,
                p.id,
                p.id
            )
        })
        .collect();
    page(&shop.edge_url, "Demo Tea Shop", &cards)
}

#[derive(Deserialize)]
struct BuyForm {
    product: String,
}

/// Creates the order and its checkout session server-side, then shows the order page, which
/// embeds the checkout.
async fn buy(State(shop): State<AppState>, Form(form): Form<BuyForm>) -> Response {
    let Some(product) = CATALOG.iter().find(|p| p.id == form.product) else {
        return (
            StatusCode::BAD_REQUEST,
            page(&shop.edge_url, "Unknown product", "<p>没有这个商品 Unknown product.</p>"),
        )
            .into_response();
    };
    let order_no = {
        let mut next = shop.next_order.lock().await;
        let n = *next;
        *next += 1;
        format!("DEMO-{}-{n:04}", now_secs())
    };
    // A web shop offers what a shopper can do on a screen: scan a code with one of the wallets,
    // through either QR gateway, or pay with a bank card. The cashier methods are for
    // point-of-sale webviews. The demo has one shopper, so its cards are saved for one customer.
    let request = CreateSessionRequest::new(product.price, product.name_zh, &order_no)
        .with_methods(vec![PaymentMethod::PayzeroQr, PaymentMethod::ShouqianbaQr, PaymentMethod::PayzeroCard])
        .with_customer(DEMO_CUSTOMER)
        .with_notify_url(format!("{}/webhook", shop.public_url))
        .with_return_url(format!("{}/orders/{order_no}", shop.public_url));
    // Keyed by the order: however often this is retried, the order has one session.
    let session =
        match shop.edge.with_idempotency_key(format!("create-{order_no}")).create_session(&request).await {
            Ok(session) => session,
            Err(e) => return edge_failure(&shop, &e.to_string()),
        };
    shop.orders.lock().await.insert(
        order_no.clone(),
        ShopOrder {
            order_no: order_no.clone(),
            product: product.id.to_owned(),
            amount: product.price,
            session_id: session.id,
            client_secret: session.client_secret,
            checkout_url: session.url,
            status: "pending".into(),
            events: Vec::new(),
        },
    );
    // 303: reloading the order page does not buy again.
    Redirect::to(&format!("/orders/{order_no}")).into_response()
}

fn edge_failure(shop: &Shop, detail: &str) -> Response {
    eprintln!("demo shop: creating a checkout session failed: {detail}");
    (
        StatusCode::BAD_GATEWAY,
        page(
            &shop.edge_url,
            "Checkout unavailable",
            "<p>暂时无法发起支付，请稍后再试。 Checkout is unavailable, please try again.</p>",
        ),
    )
        .into_response()
}

/// The order: paid (by a verified webhook), closed, or waiting for payment with the checkout
/// embedded and the hosted page offered as the other way to pay.
async fn order_page(State(shop): State<AppState>, Path(order_no): Path<String>) -> Response {
    let orders = shop.orders.lock().await;
    let Some(order) = orders.get(&order_no) else {
        return (
            StatusCode::NOT_FOUND,
            page(&shop.edge_url, "Not found", "<p>没有这个订单 No such order.</p>"),
        )
            .into_response();
    };
    let product = CATALOG.iter().find(|p| p.id == order.product);
    let heading = format!(
        r#"<div class="order"><h2>订单 Order {}</h2><strong>{}</strong></div><p class="muted">{}</p>"#,
        escape(&order.order_no),
        order.amount,
        product.map(|p| format!("{} · {}", escape(p.name_zh), escape(p.name_en))).unwrap_or_default()
    );
    let body = match order.status.as_str() {
        "paid" => format!(
            r#"{heading}<p class="status paid" data-testid="order-paid">已支付 Paid — 感谢惠顾！ Thank you!</p>
<p><a href="/">继续购物 Continue shopping</a></p>"#
        ),
        "pending" => format!(
            r##"{heading}<p id="order-status" class="status" data-testid="order-status" role="status" aria-live="polite">请选择支付方式 Choose how to pay</p>
<div id="pay" class="pay"></div>
<script src="{edge}/checkout.js" data-client-secret="{secret}" data-target="#pay"></script>
<p class="alt" id="alt-pay">或 or <a href="{hosted}" data-testid="hosted-link">在收银台页面付款 pay on the checkout page</a></p>
<script src="/order.js" data-order="{no}"></script>"##,
            edge = escape(&shop.edge_url),
            secret = escape(&order.client_secret),
            hosted = escape(&order.checkout_url),
            no = escape(&order.order_no),
        ),
        other => format!(
            r#"{heading}<p class="status closed" data-testid="order-status">状态 Status: {}</p>
<p><a href="/">返回商店 Back to the shop</a></p>"#,
            escape(other)
        ),
    };
    page(&shop.edge_url, "Your order", &body)
}

/// The order page's script. `checkout:status` events (from the loader, on `#pay`) only change
/// what the page says; that the order is paid comes from this server, which learns it from the
/// edge's signed webhook. Served as a file, so the page's policy needs no inline script.
const ORDER_SCRIPT: &str = r#"(function () {
  "use strict";
  var orderNo = document.currentScript.getAttribute("data-order");
  var line = document.getElementById("order-status");
  var pay = document.getElementById("pay");
  var waiting = false;
  var timer = null;

  function say(text, kind) {
    line.textContent = text;
    line.className = "status" + (kind ? " " + kind : "");
  }

  // Asks the shop's server until the webhook has moved the order: every second after the
  // checkout reported an outcome, every five seconds otherwise (a payment on the hosted page).
  function poll() {
    fetch("/api/orders/" + encodeURIComponent(orderNo), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; })
      .then(function (order) {
        if (order && order.status === "paid") {
          say("已支付 Paid — 感谢惠顾！ Thank you!", "paid");
          line.setAttribute("data-testid", "order-paid");
          var alt = document.getElementById("alt-pay");
          if (alt) alt.remove();
        } else if (order && order.status !== "pending") {
          location.reload();
        } else {
          next(waiting ? 1000 : 5000);
        }
      });
  }

  // One timer at a time: an event asks again at once instead of starting a second loop.
  function next(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  pay.addEventListener("checkout:status", function (event) {
    var status = event.detail && event.detail.status;
    if (status === "paid") {
      waiting = true;
      say("付款已收到，正在确认… Payment received, confirming…", "confirming");
    } else if (status === "expired" || status === "canceled") {
      waiting = true;
      say("支付已关闭 The checkout has closed.", "closed");
    } else if (status === "requires_attention") {
      waiting = true;
      say("付款需要人工核实 The payment is being checked by the shop.", "closed");
    }
    if (waiting) next(0);
  });
  poll();
})();
"#;

async fn order_script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
        ORDER_SCRIPT,
    )
        .into_response()
}

async fn order_json(State(shop): State<AppState>, Path(order_no): Path<String>) -> Response {
    match shop.orders.lock().await.get(&order_no) {
        Some(order) => Json(order.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The merchant's webhook endpoint: verify on the raw body, then apply each event once.
async fn webhook(State(shop): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers.get("checkout-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let event = match shop.webhooks.verify(signature, &body, now_secs()) {
        Ok(event) => event,
        Err(e) => {
            eprintln!("demo shop: rejected a webhook: {e}");
            return (StatusCode::BAD_REQUEST, "invalid webhook").into_response();
        }
    };
    let mut orders = shop.orders.lock().await;
    let Some(order) = orders.get_mut(&event.data.merchant_order_no) else {
        // Not ours (another shop on the same edge, or a restarted demo): acknowledge so the edge
        // stops retrying; there is nothing to update.
        return (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], "unknown order").into_response();
    };
    if order.events.contains(&event.id) {
        return (StatusCode::OK, "duplicate").into_response();
    }
    if event.data.amount != order.amount || event.data.id != order.session_id {
        eprintln!("demo shop: webhook for {} does not match the order", order.order_no);
        return (StatusCode::BAD_REQUEST, "mismatch").into_response();
    }
    order.events.push(event.id.clone());
    // Webhooks are retried independently, so an older event (say `expired`, retried after a
    // failure) may arrive after `paid`: money that moved stays moved.
    if order.status != "paid" {
        order.status = match event.data.status {
            SessionStatus::Paid => "paid".into(),
            other => other.as_str().to_owned(),
        };
    }
    println!("demo shop: order {} is {}", order.order_no, order.status);
    (StatusCode::OK, "ok").into_response()
}
