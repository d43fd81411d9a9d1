//! Browser tests of the widget's screens in headless Chromium (wasm-bindgen-test): each mounts a
//! screen with plain props, waits for yew's scheduler (never a sleep) and checks the DOM a
//! shopper would see. Run with `cargo test -p checkout-widget --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use checkout_shared::Fen;
use checkout_shared::api::{CheckoutView, ErrorBody, ErrorCode, Method, QrResponse, SessionStatus};
use checkout_shared::payzero::{Psp, QrCodeType};
use checkout_widget::app::{App, AppProps};
use checkout_widget::components::{
    ClosedProps, ClosedScreen, PaidProps, PaidScreen, Picker, PickerProps, QrPanel, QrPanelProps,
};
use checkout_widget::env::{InApp, Page};
use checkout_widget::i18n::Lang;
use checkout_widget::json;
use checkout_widget::state::Simulation;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, MutationObserver, MutationObserverInit};
use yew::{BaseComponent, Callback, Renderer};

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts `COMP` into a fresh element and waits until it has rendered.
async fn mount<COMP: BaseComponent>(props: COMP::Properties) -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    Renderer::<COMP>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    root
}

fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

fn text(root: &Element, selector: &str) -> String {
    find(root, selector).unwrap_or_else(|| panic!("no {selector}")).text_content().unwrap_or_default()
}

fn click(root: &Element, selector: &str) {
    find(root, selector)
        .unwrap_or_else(|| panic!("no {selector}"))
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

/// A callback that counts its calls.
fn counter() -> (Callback<()>, Rc<RefCell<u32>>) {
    let count = Rc::new(RefCell::new(0));
    let c = count.clone();
    (Callback::from(move |_| *c.borrow_mut() += 1), count)
}

fn qr_props(seconds_left: u64) -> (QrPanelProps, [Rc<RefCell<u32>>; 3]) {
    let (on_refresh, refreshes) = counter();
    let (on_switch, switches) = counter();
    let (on_simulate, simulations) = counter();
    let props = QrPanelProps {
        lang: Lang::Zh,
        amount: Fen(1234),
        subject: "西湖龙井".into(),
        qr: QrResponse {
            qr_content: "weixin://wxpay/bizpayurl?pr=Ab3dE5gH7".into(),
            channel: QrCodeType::Wechatpay,
            psp: Psp::Allinpay,
            expires_at: 2_000_000_000,
        },
        seconds_left,
        refreshing: false,
        in_app: None,
        test_mode: true,
        simulation: Simulation::Idle,
        on_refresh,
        on_switch,
        on_simulate,
    };
    (props, [refreshes, switches, simulations])
}

#[wasm_bindgen_test]
async fn the_qr_panel_draws_the_code_locally_with_amount_psp_and_countdown() {
    let (props, [_, switches, simulations]) = qr_props(299);
    let root = mount::<QrPanel>(props).await;

    let svg = find(&root, r#"[data-testid="qr"] svg"#).expect("the QR is an inline SVG");
    let width: u32 = svg.get_attribute("width").unwrap().parse().unwrap();
    assert!(width >= 200, "QR only {width}px wide");
    assert_eq!(svg.get_attribute("shape-rendering").as_deref(), Some("crispEdges"));
    let view_box = svg.get_attribute("viewBox").unwrap();
    let side: u32 = view_box.rsplit(' ').next().unwrap().parse().unwrap();
    assert_eq!(width % side, 0, "every module is a whole number of pixels");
    assert!(find(&root, "img").is_none(), "no image fetched from anywhere");

    assert_eq!(text(&root, r#"[data-testid="countdown"]"#), "04:59");
    assert_eq!(text(&root, r#"[data-testid="amount"]"#), "¥12.34");
    assert_eq!(text(&root, r#"[data-testid="psp"]"#), "通联支付");
    assert!(text(&root, "h2").contains("微信"));
    assert!(find(&root, r#"[data-testid="refresh"]"#).is_none(), "no refresh while the code is valid");

    let marks = web_sys::window().unwrap().performance().unwrap().get_entries_by_name("checkout:qr-visible");
    assert_eq!(marks.length(), 1, "the benchmark's mark is set once the QR is drawn");

    click(&root, r#"button[data-testid="simulate"]"#);
    click(&root, r#"button[data-testid="switch"]"#);
    assert_eq!((*simulations.borrow(), *switches.borrow()), (1, 1));
}

#[wasm_bindgen_test]
async fn an_expired_code_is_hidden_and_offers_a_refresh() {
    let (props, [refreshes, _, _]) = qr_props(0);
    let root = mount::<QrPanel>(props).await;
    assert!(find(&root, r#"[data-testid="qr"] svg"#).is_none(), "an expired code must not be scannable");
    assert_eq!(text(&root, r#"[data-testid="countdown"]"#), "00:00");
    assert!(find(&root, r#"button[data-testid="simulate"]"#).unwrap().has_attribute("disabled"));
    click(&root, r#"button[data-testid="refresh"]"#);
    assert_eq!(*refreshes.borrow(), 1);
}

#[wasm_bindgen_test]
async fn simulate_is_only_offered_in_test_mode() {
    let (mut props, _) = qr_props(120);
    props.test_mode = false;
    let root = mount::<QrPanel>(props).await;
    assert!(find(&root, r#"[data-testid="simulate"]"#).is_none());
}

#[wasm_bindgen_test]
async fn inside_wechat_the_panel_explains_before_showing_the_code() {
    let (mut props, _) = qr_props(120);
    props.in_app = Some(InApp::Wechat);
    props.lang = Lang::En;
    let root = mount::<QrPanel>(props).await;
    assert!(find(&root, r#"[data-testid="qr"]"#).is_none());
    assert!(text(&root, r#"[data-testid="inapp"]"#).contains("Open in browser"));
    click(&root, r#"[data-testid="inapp"] button"#);
    yew::scheduler::flush().await;
    assert!(find(&root, r#"[data-testid="qr"] svg"#).is_some(), "the code is still available on request");
}

#[wasm_bindgen_test]
async fn the_picker_offers_the_three_wallets_and_reports_the_choice() {
    let chosen = Rc::new(RefCell::new(Vec::new()));
    let c = chosen.clone();
    let props = PickerProps {
        lang: Lang::En,
        amount: Fen(1),
        subject: "Sample".into(),
        methods: vec![Method::PayzeroQr],
        busy: None,
        on_choose: Callback::from(move |ch| c.borrow_mut().push(ch)),
    };
    let root = mount::<Picker>(props).await;
    assert_eq!(text(&root, r#"button[data-channel="WECHATPAY"]"#), "WeChat Pay");
    assert_eq!(text(&root, r#"button[data-channel="ALIPAY"]"#), "Alipay");
    assert_eq!(text(&root, r#"button[data-channel="UNIONPAY"]"#), "UnionPay");
    assert_eq!(text(&root, r#"[data-testid="amount"]"#), "¥0.01");
    click(&root, r#"button[data-channel="ALIPAY"]"#);
    assert_eq!(*chosen.borrow(), vec![QrCodeType::Alipay]);
}

#[wasm_bindgen_test]
async fn the_picker_shows_nothing_the_session_does_not_allow() {
    let props = PickerProps {
        lang: Lang::Zh,
        amount: Fen(1),
        subject: "x".into(),
        methods: vec![Method::Barcode],
        busy: None,
        on_choose: Callback::noop(),
    };
    let root = mount::<Picker>(props).await;
    assert!(find(&root, "button[data-channel]").is_none());
}

#[wasm_bindgen_test]
async fn the_paid_screen_shows_the_amount_and_a_return_link_for_the_top_window() {
    let props = PaidProps {
        lang: Lang::Zh,
        amount: Fen(8800),
        return_url: Some("https://shop.example.com/orders/1".into()),
        framed: true,
    };
    let root = mount::<PaidScreen>(props).await;
    let paid = find(&root, r#"[data-testid="paid"]"#).expect("paid screen");
    let content = paid.text_content().unwrap();
    assert!(content.contains('✓') && content.contains("¥88.00") && content.contains("支付成功"), "{content}");
    let link = find(&root, "a").unwrap();
    assert_eq!(link.get_attribute("href").as_deref(), Some("https://shop.example.com/orders/1"));
    assert_eq!(link.get_attribute("target").as_deref(), Some("_top"));
}

#[wasm_bindgen_test]
async fn closed_screens_say_what_happened() {
    let root = mount::<ClosedScreen>(ClosedProps { lang: Lang::En, status: SessionStatus::Expired }).await;
    assert!(text(&root, "h2").contains("expired"));
    let root = mount::<ClosedScreen>(ClosedProps { lang: Lang::Zh, status: SessionStatus::Canceled }).await;
    assert!(text(&root, "h2").contains("取消"));
}

#[wasm_bindgen_test]
fn answers_decode_into_the_shared_types() {
    let view: CheckoutView = json::from_str(
        r#"{"amount":1234,"currency":"CNY","subject":"茶","methods":["payzero_qr","future_method"],
            "status":"open","locale":"en","expires_at":1800000000,"test_mode":true,"version":7,
            "qr":{"qr_content":"weixin://x","channel":"ALIPAY","psp":"EASYPAY","expires_at":1800000300},
            "something_new":{"nested":[1,2.5,null]}}"#,
    )
    .unwrap();
    assert_eq!(view.amount, Fen(1234));
    assert_eq!(view.methods, vec![Method::PayzeroQr, Method::Unknown("future_method".into())]);
    assert_eq!(view.return_url, None);
    assert_eq!(view.qr.unwrap().psp, Psp::Easypay);

    let error: ErrorBody =
        json::from_str(r#"{"error":{"code":"rate_limited","message":"slow down"}}"#).unwrap();
    assert_eq!(error.error.code, ErrorCode::RateLimited);

    assert!(json::from_str::<CheckoutView>(r#"{"amount":"12.34"}"#).is_err());
    assert!(json::from_str::<ErrorBody>("<html>502 Bad Gateway</html>").is_err());
    assert!(json::from_str::<CheckoutView>(r#"{"amount":-1}"#).is_err());
}

/// Resolves once `selector` matches under `root`, re-checking after each DOM mutation there:
/// the answers the widget waits for arrive asynchronously, and a sleep would only guess.
async fn wait_for(root: &Element, selector: &str) -> Element {
    loop {
        yew::scheduler::flush().await;
        if let Some(found) = find(root, selector) {
            return found;
        }
        let root = root.clone();
        let changed = js_sys::Promise::new(&mut |resolve, _reject| {
            let callback = Closure::once_into_js(move |_records: JsValue, observer: MutationObserver| {
                observer.disconnect();
                let _ = resolve.call0(&JsValue::NULL);
            });
            let observer = MutationObserver::new(callback.unchecked_ref()).unwrap();
            let options = MutationObserverInit::new();
            options.set_child_list(true);
            options.set_subtree(true);
            options.set_attributes(true);
            options.set_character_data(true);
            observer.observe_with_options(&root, &options).unwrap();
        });
        JsFuture::from(changed).await.unwrap();
    }
}

/// Replaces `window.fetch` with a scripted edge for the session `cs_t`: the long-poll answers
/// "paid" only once the widget has asked to simulate the payment. Every request is logged in
/// `window.__edgeLog`.
fn fake_edge() {
    js_sys::eval(
        r#"(() => {
        const json = (status, body) => new Response(JSON.stringify(body),
            { status, headers: { "content-type": "application/json" } });
        let pay;
        const paid = new Promise((resolve) => { pay = resolve; });
        window.__edgeLog = [];
        window.fetch = async (input, init) => {
            const req = input instanceof Request ? input : new Request(input, init);
            const url = new URL(req.url);
            const body = req.method === "POST" ? await req.text() : "";
            window.__edgeLog.push(`${req.method} ${url.pathname}${url.search} ${body}`.trim());
            switch (url.pathname) {
                case "/v1/checkout/cs_t": return json(200, {
                    amount: 3500, currency: "CNY", subject: "Celadon tea cup", methods: ["payzero_qr"],
                    status: "open", locale: "zh-CN", expires_at: 4102444800, test_mode: true, version: 1 });
                case "/v1/checkout/cs_t/qr": return json(200, {
                    qr_content: "https://qr.95516.com/00010000/0123456789", channel: JSON.parse(body).channel,
                    psp: "LYCHEEPAY", expires_at: Math.floor(Date.now() / 1000) + 120 });
                case "/v1/checkout/cs_t/status": await paid; return json(200, { status: "paid", version: 2, paid_at: 1 });
                case "/v1/checkout/cs_t/simulate": pay(); return new Response(null, { status: 202 });
                default: return json(404, { error: { code: "not_found", message: "no session cs_x at shard 7" } });
            }
        };
    })()"#,
    )
    .unwrap();
}

fn edge_log() -> Vec<String> {
    let log = js_sys::Reflect::get(&web_sys::window().unwrap(), &"__edgeLog".into()).unwrap();
    js_sys::Array::from(&log).iter().filter_map(|v| v.as_string()).collect()
}

#[wasm_bindgen_test]
async fn the_whole_widget_goes_from_picker_to_qr_to_paid_against_an_edge() {
    fake_edge();
    let page = Page { lang: Some(Lang::En), ..Page::default() };
    let root = mount::<App>(AppProps { client_secret: "cs_t".into(), edge_base: "".into(), page }).await;

    wait_for(&root, r#"button[data-channel="UNIONPAY"]"#).await;
    assert_eq!(text(&root, r#"[data-testid="amount"]"#), "¥35.00");
    assert_eq!(text(&root, r#"[data-testid="status"]"#), "Status: awaiting payment");
    click(&root, r#"button[data-channel="UNIONPAY"]"#);

    wait_for(&root, r#"[data-testid="qr"] svg"#).await;
    assert_eq!(text(&root, r#"[data-testid="psp"]"#), "LycheePay");
    let countdown = text(&root, r#"[data-testid="countdown"]"#);
    assert!(countdown == "02:00" || countdown == "01:59", "{countdown}");
    assert!(
        edge_log().contains(
            &r#"POST /v1/checkout/cs_t/qr {"method":"payzero_qr","channel":"UNIONPAY"}"#.to_owned()
        ),
        "{:?}",
        edge_log()
    );

    click(&root, r#"button[data-testid="simulate"]"#);
    wait_for(&root, r#"[data-testid="paid"]"#).await;
    assert_eq!(text(&root, r#"[data-testid="status"]"#), "Status: paid");
    assert!(
        edge_log().iter().any(|l| l.starts_with("GET /v1/checkout/cs_t/status?since=1")),
        "{:?}",
        edge_log()
    );
    assert!(find(&root, r#"[data-testid="qr"]"#).is_none());
}

#[wasm_bindgen_test]
async fn an_unknown_session_says_so_without_internal_details_or_a_useless_retry() {
    fake_edge();
    let root =
        mount::<App>(AppProps { client_secret: "cs_x".into(), edge_base: "".into(), page: Page::default() })
            .await;
    let error = wait_for(&root, r#"[data-testid="error"]"#).await.text_content().unwrap_or_default();
    assert!(error.contains("支付链接无效"), "{error}");
    assert!(!error.contains("shard"), "the edge's message must not reach the shopper");
    assert!(find(&root, "button").is_none(), "retrying cannot revive a link that does not exist");
}
