//! Browser tests of the widget's screens in headless Chromium (wasm-bindgen-test): each mounts a
//! screen with plain props, waits for yew's scheduler (never a sleep) and checks the DOM a
//! shopper would see. Run with `cargo test -p checkout-widget --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use checkout_shared::Fen;
use checkout_shared::api::{
    BarcodeState, BarcodeView, Channel, CheckoutView, ErrorBody, ErrorCode, PaymentMethod, QrView,
    SessionStatus, StatusUpdate,
};
use checkout_widget::app::{App, AppProps};
use checkout_widget::components::{
    BarcodeScreen, BarcodeScreenProps, ClosedProps, PaidProps, PickerProps, QrPanel, QrPanelProps,
    closed_screen, paid_screen, picker,
};
use checkout_widget::env::{InApp, Page};
use checkout_widget::i18n::Lang;
use checkout_widget::json;
use checkout_widget::state::phone::Place;
use checkout_widget::state::{BarcodeNotice, BarcodePanel, BarcodeStep, QrChoice, Simulation};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{
    Element, EventInit, HtmlElement, HtmlFormElement, HtmlInputElement, MutationObserver,
    MutationObserverInit,
};
use yew::{BaseComponent, Callback, Html, Renderer, component};

// The screens that are plain functions in the widget (a component each would cost its size
// budget), made mountable here.
#[component]
fn Picker(props: &PickerProps) -> Html {
    picker(props)
}

#[component]
fn PaidScreen(props: &PaidProps) -> Html {
    paid_screen(props)
}

#[component]
fn ClosedScreen(props: &ClosedProps) -> Html {
    closed_screen(props)
}

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

/// Sets a field's value and fires `input`, as typing (or a scanner) would.
fn type_into(root: &Element, selector: &str, text: &str) {
    let input: HtmlInputElement =
        find(root, selector).unwrap_or_else(|| panic!("no {selector}")).dyn_into().unwrap();
    input.set_value(text);
    let init = EventInit::new();
    init.set_bubbles(true);
    input.dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap()).unwrap();
}

/// Submits the form around `selector` the way Enter in its field does.
fn press_enter_in(root: &Element, selector: &str) {
    let field = find(root, selector).unwrap_or_else(|| panic!("no {selector}"));
    let form: HtmlFormElement =
        field.closest("form").unwrap().expect("the field is in a form").dyn_into().unwrap();
    form.request_submit().unwrap();
}

/// The text of every match, in document order.
fn texts(root: &Element, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length()).filter_map(|i| list.item(i)).map(|n| n.text_content().unwrap_or_default()).collect()
}

fn attr(root: &Element, selector: &str, name: &str) -> Option<String> {
    find(root, selector).unwrap_or_else(|| panic!("no {selector}")).get_attribute(name)
}

fn is_focused(root: &Element, selector: &str) -> bool {
    let element = find(root, selector).unwrap_or_else(|| panic!("no {selector}"));
    let active = web_sys::window().unwrap().document().unwrap().active_element();
    active.is_some_and(|a| js_sys::Object::is(&a, &element))
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
        qr: QrView {
            method: PaymentMethod::PayzeroQr,
            channel: Channel::WechatPay,
            qr_content: "weixin://wxpay/bizpayurl?pr=Ab3dE5gH7".into(),
            expires_at: 2_000_000_000,
            provider: Some("ALLINPAY".into()),
        },
        seconds_left,
        refreshing: false,
        in_app: None,
        place: Place::Desktop,
        picture_name: "sess_0.png".into(),
        framed: false,
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
async fn inside_wechat_an_alipay_code_is_explained_before_it_is_shown() {
    let (mut props, _) = qr_props(120);
    props.in_app = Some(InApp::Wechat);
    props.place = Place::InWechat;
    props.qr.channel = Channel::Alipay;
    props.qr.qr_content = "https://qr.alipay.com/bax00001".into();
    props.lang = Lang::En;
    let root = mount::<QrPanel>(props).await;
    assert!(find(&root, r#"[data-testid="qr"]"#).is_none());
    assert!(text(&root, r#"[data-testid="inapp"]"#).contains("Open in browser"));
    click(&root, r#"[data-testid="inapp"] button"#);
    yew::scheduler::flush().await;
    assert!(find(&root, r#"[data-testid="qr"] svg"#).is_some(), "the code is still available on request");
}

#[wasm_bindgen_test]
async fn inside_wechat_a_wechat_code_is_a_picture_to_long_press() {
    let (mut props, _) = qr_props(120);
    props.in_app = Some(InApp::Wechat);
    props.place = Place::InWechat;
    let root = mount::<QrPanel>(props).await;
    let image =
        find(&root, r#"[data-testid="qr"] img[data-testid="qr-image"]"#).expect("the code is an image");
    assert!(image.get_attribute("src").unwrap().starts_with("data:image/png;base64,"));
    let width: u32 = image.get_attribute("width").unwrap().parse().unwrap();
    assert!(width >= 200, "the image is {width} px wide");
    assert_eq!(text(&root, "h2"), "长按二维码，识别付款");
    assert!(find(&root, r#"[data-testid="open-wallet"]"#).is_none());
}

#[wasm_bindgen_test]
async fn on_a_phone_alipay_opens_its_app_and_wechat_saves_a_picture() {
    let (mut props, _) = qr_props(120);
    props.place = Place::Phone;
    props.qr.channel = Channel::Alipay;
    props.qr.qr_content = "https://qr.alipay.com/bax00001".into();
    let root = mount::<QrPanel>(props).await;
    let link = find(&root, r#"a[data-testid="open-wallet"]"#).expect("a button that opens Alipay");
    assert_eq!(
        link.get_attribute("href").as_deref(),
        Some("alipays://platformapi/startapp?saId=10000007&qrcode=https%3A%2F%2Fqr.alipay.com%2Fbax00001")
    );
    assert!(find(&root, r#"[data-testid="qr"] svg"#).is_some(), "the code stays for another phone");

    let (mut props, _) = qr_props(120);
    props.place = Place::Phone;
    let root = mount::<QrPanel>(props).await;
    let save = find(&root, r#"a[data-testid="save-qr"]"#).expect("a button that saves the code");
    assert_eq!(save.get_attribute("download").as_deref(), Some("sess_0.png"));
    assert!(save.get_attribute("href").unwrap().starts_with("data:image/png;base64,"));
    assert!(text(&root, r#"[data-testid="save-steps"]"#).contains("扫一扫 → 相册"));
}

#[wasm_bindgen_test]
async fn the_picker_offers_the_three_wallets_and_reports_the_choice() {
    let chosen = Rc::new(RefCell::new(Vec::new()));
    let c = chosen.clone();
    let props = PickerProps {
        lang: Lang::En,
        amount: Fen(1),
        subject: "Sample".into(),
        methods: vec![PaymentMethod::PayzeroQr],
        busy: None,
        on_choose: Callback::from(move |ch| c.borrow_mut().push(ch)),
        on_barcode: Callback::noop(),
        on_card: Callback::noop(),
        place: Place::Desktop,
        keep_order: false,
    };
    let root = mount::<Picker>(props).await;
    assert_eq!(text(&root, r#"button[data-channel="WECHATPAY"]"#), "WeChat Pay");
    assert_eq!(text(&root, r#"button[data-channel="ALIPAY"]"#), "Alipay");
    assert_eq!(text(&root, r#"button[data-channel="UNIONPAY"]"#), "UnionPay");
    assert_eq!(text(&root, r#"[data-testid="amount"]"#), "¥0.01");
    assert!(find(&root, r#"[data-testid="group-barcode"]"#).is_none(), "no empty group");
    click(&root, r#"button[data-channel="ALIPAY"]"#);
    assert_eq!(
        *chosen.borrow(),
        vec![QrChoice { method: PaymentMethod::PayzeroQr, channel: Channel::Alipay }]
    );
}

#[wasm_bindgen_test]
async fn the_picker_groups_methods_by_what_the_shopper_does() {
    let opened = Rc::new(RefCell::new(Vec::new()));
    let o = opened.clone();
    let chosen = Rc::new(RefCell::new(Vec::new()));
    let c = chosen.clone();
    let props = PickerProps {
        lang: Lang::Zh,
        amount: Fen(100),
        subject: "x".into(),
        methods: vec![
            PaymentMethod::ShouqianbaQr,
            PaymentMethod::EzrBarcode,
            PaymentMethod::PayzeroCard,
            PaymentMethod::PayzeroQr,
            PaymentMethod::Unknown("future_method".into()),
            PaymentMethod::ShouqianbaBarcode,
        ],
        busy: None,
        on_choose: Callback::from(move |ch| c.borrow_mut().push(ch)),
        on_barcode: Callback::from(move |m| o.borrow_mut().push(m)),
        on_card: Callback::noop(),
        place: Place::Desktop,
        keep_order: false,
    };
    let root = mount::<Picker>(props).await;

    assert_eq!(text(&root, r#"[data-testid="group-qr"] h3"#), "扫码支付");
    assert_eq!(
        texts(&root, r#"[data-testid="group-qr"] button"#),
        ["微信支付 · 收钱吧", "支付宝 · 收钱吧", "微信支付 · Payzero", "支付宝 · Payzero", "云闪付 / 银联"],
        "the session's order; a wallet two gateways offer names its gateway"
    );
    assert_eq!(text(&root, r#"[data-testid="group-barcode"] h3"#), "出示付款码");
    assert_eq!(
        texts(&root, r#"[data-testid="group-barcode"] button"#),
        ["付款码支付 · EZR", "付款码支付 · 收钱吧"]
    );
    assert_eq!(
        text(&root, r#"[data-testid="group-card"] button[data-method="payzero_card"]"#),
        "银行卡快捷支付"
    );
    assert_eq!(root.query_selector_all("button").unwrap().length(), 8, "no button for an unknown method");
    // The end-to-end tests' hook still finds a WeChat Pay button: the first one.
    assert_eq!(
        attr(&root, r#"button[data-channel="WECHATPAY"]"#, "data-method").as_deref(),
        Some("shouqianba_qr")
    );

    click(&root, r#"button[data-method="payzero_qr"][data-channel="WECHATPAY"]"#);
    click(&root, r#"button[data-method="shouqianba_barcode"]"#);
    assert_eq!(
        *chosen.borrow(),
        vec![QrChoice { method: PaymentMethod::PayzeroQr, channel: Channel::WechatPay }]
    );
    assert_eq!(*opened.borrow(), vec![PaymentMethod::ShouqianbaBarcode]);
}

#[wasm_bindgen_test]
async fn the_picker_shows_only_what_the_session_allows() {
    let props = PickerProps {
        lang: Lang::Zh,
        amount: Fen(1),
        subject: "x".into(),
        methods: vec![PaymentMethod::PayzeroCard],
        busy: None,
        on_choose: Callback::noop(),
        on_barcode: Callback::noop(),
        on_card: Callback::noop(),
        place: Place::Desktop,
        keep_order: false,
    };
    let root = mount::<Picker>(props).await;
    assert_eq!(texts(&root, "button"), ["银行卡快捷支付"], "a card-only session offers the card alone");
}

fn barcode_props(
    step: BarcodeStep,
    notice: Option<BarcodeNotice>,
) -> (BarcodeScreenProps, [Rc<RefCell<u32>>; 2]) {
    let (on_submit, submits) = counter();
    let (on_switch, switches) = counter();
    let props = BarcodeScreenProps {
        lang: Lang::Zh,
        amount: Fen(4200),
        subject: "龙井".into(),
        panel: BarcodePanel {
            method: PaymentMethod::ShouqianbaBarcode,
            input: String::new(),
            step,
            notice,
            sent_at: 0,
            previous: None,
        },
        seconds_left: Some(44),
        on_input: Callback::noop(),
        on_submit,
        on_switch,
    };
    (props, [submits, switches])
}

#[wasm_bindgen_test]
async fn the_barcode_field_is_labelled_numeric_and_submits_with_enter() {
    let (props, [submits, switches]) = barcode_props(BarcodeStep::Entering, None);
    let root = mount::<BarcodeScreen>(props).await;
    let input = r#"input[data-testid="barcode-input"]"#;
    assert_eq!(attr(&root, input, "inputmode").as_deref(), Some("numeric"));
    assert_eq!(attr(&root, input, "autocomplete").as_deref(), Some("off"));
    let id = attr(&root, input, "id").unwrap();
    assert_eq!(text(&root, &format!(r#"label[for="{id}"]"#)), "付款码");
    assert_eq!(text(&root, r#"[data-testid="psp"]"#), "收钱吧");
    assert!(find(&root, r#"[data-testid="barcode-progress"]"#).is_none());
    assert!(
        find(&root, r#"[data-testid="simulate"]"#).is_none(),
        "the sandbox's codes drive barcode outcomes"
    );
    press_enter_in(&root, input);
    click(&root, r#"button[data-testid="barcode-submit"]"#);
    click(&root, r#"button[data-testid="switch"]"#);
    assert_eq!((*submits.borrow(), *switches.borrow()), (2, 1));
}

#[wasm_bindgen_test]
async fn a_payment_in_progress_shows_progress_and_takes_no_other_code() {
    let (props, _) = barcode_props(BarcodeStep::Processing { deadline: 0 }, None);
    let root = mount::<BarcodeScreen>(props).await;
    let progress = text(&root, r#"[data-testid="barcode-progress"]"#);
    assert!(progress.contains("正在收款"), "{progress}");
    assert_eq!(text(&root, r#"[data-testid="countdown"]"#), "00:44");
    assert!(find(&root, r#"[data-testid="barcode-input"]"#).unwrap().has_attribute("readonly"));
    assert!(find(&root, r#"[data-testid="barcode-submit"]"#).unwrap().has_attribute("disabled"));
    assert!(find(&root, r#"[data-testid="switch"]"#).is_none(), "no leaving while the gateway decides");
}

#[wasm_bindgen_test]
async fn a_declined_code_says_why_next_to_the_field() {
    let notice = BarcodeNotice::Declined(Some("EXPIRED_BARCODE".into()));
    let (mut props, _) = barcode_props(BarcodeStep::Entering, Some(notice));
    props.lang = Lang::En;
    let root = mount::<BarcodeScreen>(props).await;
    let message = text(&root, r#"[data-testid="barcode-message"]"#);
    assert!(message.contains("expired"), "{message}");
    assert_eq!(attr(&root, r#"[data-testid="barcode-message"]"#, "role").as_deref(), Some("alert"));
    let described = attr(&root, r#"[data-testid="barcode-input"]"#, "aria-describedby").unwrap();
    assert_eq!(attr(&root, r#"[data-testid="barcode-message"]"#, "id"), Some(described));
    assert!(!find(&root, r#"[data-testid="barcode-submit"]"#).unwrap().has_attribute("disabled"));
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
async fn a_payment_that_requires_attention_is_a_calm_contact_the_merchant_screen() {
    let root =
        mount::<ClosedScreen>(ClosedProps { lang: Lang::Zh, status: SessionStatus::RequiresAttention }).await;
    assert_eq!(
        attr(&root, r#"[data-testid="closed"]"#, "data-status").as_deref(),
        Some("requires_attention")
    );
    assert!(text(&root, r#"[data-testid="closed"]"#).contains("联系商户"));
    assert!(find(&root, ".ce-cross").is_none(), "not shown as a failure");
    assert!(find(&root, r#"[role="alert"]"#).is_none());
}

#[wasm_bindgen_test]
fn answers_decode_into_the_shared_types() {
    let view: CheckoutView = json::from_str(
        r#"{"amount":1234,"currency":"CNY","subject":"茶","methods":["payzero_qr","shouqianba_barcode","future_method"],
            "status":"open","locale":"en","expires_at":1800000000,"test_mode":true,"version":7,
            "qr":{"method":"payzero_qr","channel":"alipay","qr_content":"weixin://x","provider":"EASYPAY","expires_at":1800000300},
            "barcode":{"method":"shouqianba_barcode","state":"declined","reason":"NOTENOUGH","deadline":1800000045},
            "something_new":{"nested":[1,2.5,null]}}"#,
    )
    .unwrap();
    assert_eq!(view.amount, Fen(1234));
    assert_eq!(
        view.methods,
        vec![
            PaymentMethod::PayzeroQr,
            PaymentMethod::ShouqianbaBarcode,
            PaymentMethod::Unknown("future_method".into())
        ]
    );
    assert_eq!(view.return_url, None);
    let qr = view.qr.unwrap();
    assert_eq!((qr.channel, qr.provider.as_deref()), (Channel::Alipay, Some("EASYPAY")));
    assert_eq!(view.barcode.unwrap().reason.as_deref(), Some("NOTENOUGH"));

    let update: StatusUpdate = json::from_str(
        r#"{"status":"requires_attention","version":9,
            "barcode":{"method":"ezr_barcode","state":"needs_review","deadline":1800000045}}"#,
    )
    .unwrap();
    assert_eq!(update.status, SessionStatus::RequiresAttention);
    assert_eq!(update.barcode.map(|b| b.state), Some(BarcodeState::NeedsReview));
    let accepted: BarcodeView =
        json::from_str(r#"{"method":"shouqianba_barcode","state":"processing","deadline":1800000045}"#)
            .unwrap();
    assert_eq!((accepted.state, accepted.reason), (BarcodeState::Processing, None));

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

/// Replaces `window.fetch` with a scripted edge. Sessions (by client secret): `cs_t` offers
/// Payzero QR, `cs_mix` both QR gateways and a barcode method, `cs_pay` and `cs_decline` barcode
/// methods; anything else is unknown. "simulate" pays at once; a barcode payment stays
/// "processing" until the test calls `window.__settle(secret)`, then pays, or is declined with
/// `NOTENOUGH` when the code ends in 2002 (the sandbox's rule). The long-poll answers once the
/// version exceeds `since`, and otherwise waits (a later test's edge never wakes an earlier
/// test's widget). Every request is logged in `window.__edgeLog` as `METHOD path (secret) body`.
fn fake_edge() {
    js_sys::eval(
        r#"(() => {
        const json = (status, body) => new Response(JSON.stringify(body),
            { status, headers: { "content-type": "application/json" } });
        const now = () => Math.floor(Date.now() / 1000);
        const methods = {
            cs_t: ["payzero_qr"],
            cs_mix: ["shouqianba_qr", "payzero_qr", "shouqianba_barcode", "payzero_card", "future_method"],
            cs_pay: ["shouqianba_barcode"],
            cs_decline: ["ezr_barcode"],
            cs_elsewhere: ["payzero_qr"],
        };
        const sessions = {};
        const change = (s, update) => {
            update();
            s.version += 1;
            s.waiters.splice(0).forEach((wake) => wake());
        };
        window.__edgeLog = [];
        window.__settle = (secret) => {
            const s = sessions[secret];
            change(s, () => {
                if (s.code.endsWith("2002")) {
                    s.barcode = { ...s.barcode, state: "declined", reason: "NOTENOUGH" };
                } else {
                    s.barcode = { ...s.barcode, state: "paid" };
                    s.status = "paid";
                    s.paid_at = now();
                }
            });
        };
        // Paid by a path other than this page (another tab, the gateway's own retry).
        window.__payElsewhere = (secret) => {
            const s = sessions[secret];
            change(s, () => { s.status = "paid"; s.paid_at = now(); });
        };
        window.fetch = async (input, init) => {
            const req = input instanceof Request ? input : new Request(input, init);
            const url = new URL(req.url);
            const body = req.method === "POST" ? await req.text() : "";
            // The client secret comes as `Authorization: Bearer`, never in the URL.
            const secret = (req.headers.get("authorization") || "").replace(/^Bearer /, "");
            window.__edgeLog.push(`${req.method} ${url.pathname}${url.search} (${secret}) ${body}`.trim());
            const [, tail = ""] = url.pathname.match(/^\/v1\/checkout(\/\w+)?$/) || [];
            if (!(secret in methods)) {
                return json(404, { error: { code: "not_found", message: "no session cs_x at shard 7" } });
            }
            const s = (sessions[secret] ??= { version: 1, status: "open", barcode: null, paid_at: null, code: "", waiters: [] });
            switch (tail) {
                case "": return json(200, {
                    amount: 3500, currency: "CNY", subject: "Celadon tea cup", methods: methods[secret],
                    status: s.status, locale: "zh-CN", expires_at: 4102444800, test_mode: true, version: s.version });
                case "/qr": {
                    const { method, channel } = JSON.parse(body);
                    return json(200, {
                        method, channel, qr_content: "https://qr.95516.com/00010000/0123456789",
                        expires_at: now() + 120, ...(method === "payzero_qr" ? { provider: "LYCHEEPAY" } : {}) });
                }
                case "/simulate":
                    change(s, () => { s.status = "paid"; s.paid_at = now(); });
                    return new Response(null, { status: 202 });
                case "/barcode": {
                    const { method, code } = JSON.parse(body);
                    if (!/^[0-9]{16,24}$/.test(code)) {
                        return json(400, { error: { code: "invalid_request", message: "code must be digits" } });
                    }
                    s.code = code;
                    change(s, () => { s.barcode = { method, state: "processing", deadline: now() + 45 }; });
                    return json(202, s.barcode);
                }
                case "/status": {
                    const since = Number(url.searchParams.get("since"));
                    while (s.version <= since) await new Promise((wake) => s.waiters.push(wake));
                    return json(200, { status: s.status, version: s.version,
                        ...(s.paid_at ? { paid_at: s.paid_at } : {}), ...(s.barcode ? { barcode: s.barcode } : {}) });
                }
                default: return json(404, { error: { code: "not_found", message: "no such route" } });
            }
        };
    })()"#,
    )
    .unwrap();
}

/// `window.__settle(secret)`: the gateway decides the cashier payment in progress.
fn settle(secret: &str) {
    js_sys::eval(&format!("window.__settle({secret:?})")).unwrap();
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
    // Nothing takes the focus before the shopper acts (it would scroll a page that frames us).
    assert!(!is_focused(&root, ".ce-panel h2"));
    click(&root, r#"button[data-channel="UNIONPAY"]"#);

    wait_for(&root, r#"[data-testid="qr"] svg"#).await;
    assert_eq!(text(&root, r#"[data-testid="psp"]"#), "LycheePay");
    let countdown = text(&root, r#"[data-testid="countdown"]"#);
    assert!(countdown == "02:00" || countdown == "01:59", "{countdown}");
    assert!(
        edge_log().contains(
            &r#"POST /v1/checkout/qr (cs_t) {"method":"payzero_qr","channel":"unionpay"}"#.to_owned()
        ),
        "{:?}",
        edge_log()
    );

    click(&root, r#"button[data-testid="simulate"]"#);
    wait_for(&root, r#"[data-testid="paid"]"#).await;
    assert_eq!(text(&root, r#"[data-testid="status"]"#), "Status: paid");
    // The simulate button went away with the QR screen: the new screen's heading takes the
    // focus, so the keyboard and a screen reader go on from there.
    assert!(is_focused(&root, r#"[data-testid="paid"] h2"#), "the paid screen's heading has the focus");
    assert!(
        edge_log().iter().any(|l| l.starts_with("GET /v1/checkout/status?since=1 (cs_t)")),
        "{:?}",
        edge_log()
    );
    assert!(find(&root, r#"[data-testid="qr"]"#).is_none());
}

#[wasm_bindgen_test]
async fn a_session_paid_elsewhere_goes_from_the_picker_to_the_paid_screen_with_its_heading_focused() {
    fake_edge();
    let root = mount_app("cs_elsewhere", Lang::En).await;
    wait_for(&root, r#"button[data-channel="WECHATPAY"]"#).await;
    // As if the shopper had pressed something that is gone now: the focus is on the body (not
    // on a field an earlier test's widget, still in the document, left it in).
    checkout_widget::host::note_user_action();
    let document = web_sys::window().unwrap().document().unwrap();
    if let Some(active) = document.active_element().and_then(|a| a.dyn_into::<HtmlElement>().ok()) {
        active.blur().unwrap();
    }
    js_sys::eval(r#"window.__payElsewhere("cs_elsewhere")"#).unwrap();
    wait_for(&root, r#"[data-testid="paid"]"#).await;
    // The new screen's heading takes the focus (each screen's root is keyed, so a heading in
    // the same place on the next screen is a new one that mounts, not the old one patched).
    assert_eq!(text(&root, r#"[data-testid="paid"] h2"#), "Payment successful");
    assert!(is_focused(&root, r#"[data-testid="paid"] h2"#), "the paid screen's heading has the focus");
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

async fn mount_app(client_secret: &str, lang: Lang) -> Element {
    let page = Page { lang: Some(lang), ..Page::default() };
    mount::<App>(AppProps { client_secret: client_secret.to_owned().into(), edge_base: "".into(), page })
        .await
}

#[wasm_bindgen_test]
async fn a_shouqianba_qr_is_shown_and_simulated_like_a_payzero_one() {
    fake_edge();
    let root = mount_app("cs_mix", Lang::Zh).await;
    wait_for(&root, r#"[data-testid="group-barcode"]"#).await;
    click(&root, r#"button[data-method="shouqianba_qr"][data-channel="ALIPAY"]"#);

    wait_for(&root, r#"[data-testid="qr"] svg"#).await;
    assert!(text(&root, "h2").contains("支付宝"));
    assert_eq!(text(&root, r#"[data-testid="psp"]"#), "收钱吧", "Shouqianba names no PSP: it collects");
    assert_eq!(attr(&root, r#"[data-testid="qr-panel"]"#, "data-method").as_deref(), Some("shouqianba_qr"));
    assert!(
        edge_log().contains(
            &r#"POST /v1/checkout/qr (cs_mix) {"method":"shouqianba_qr","channel":"alipay"}"#.to_owned()
        ),
        "{:?}",
        edge_log()
    );
    click(&root, r#"button[data-testid="simulate"]"#);
    wait_for(&root, r#"[data-testid="paid"]"#).await;
}

#[wasm_bindgen_test]
async fn a_scanned_payment_code_shows_progress_then_the_paid_screen() {
    fake_edge();
    let root = mount_app("cs_pay", Lang::Zh).await;
    wait_for(&root, r#"button[data-method="shouqianba_barcode"]"#).await;
    click(&root, r#"button[data-method="shouqianba_barcode"]"#);

    let input = r#"input[data-testid="barcode-input"]"#;
    wait_for(&root, input).await;
    assert!(is_focused(&root, input), "the scanner types into the field: it must have the focus");
    type_into(&root, input, "1345 6789 0123 4567 89");
    press_enter_in(&root, input);

    wait_for(&root, r#"[data-testid="barcode-progress"] [data-testid="countdown"]"#).await;
    assert!(text(&root, r#"[data-testid="barcode-progress"]"#).contains("正在收款"));
    assert_eq!(text(&root, r#"[data-testid="status"]"#), "正在收款…");
    let countdown = text(&root, r#"[data-testid="countdown"]"#);
    assert!(countdown == "00:45" || countdown == "00:44", "{countdown}");
    let posts: Vec<_> =
        edge_log().into_iter().filter(|l| l.starts_with("POST /v1/checkout/barcode (cs_pay)")).collect();
    assert_eq!(
        posts,
        [r#"POST /v1/checkout/barcode (cs_pay) {"method":"shouqianba_barcode","code":"134567890123456789"}"#],
        "spaces stripped, sent once"
    );

    settle("cs_pay");
    wait_for(&root, r#"[data-testid="paid"]"#).await;
    assert_eq!(text(&root, r#"[data-testid="status"]"#), "状态：已支付");
    assert!(!edge_log().iter().any(|l| l.contains("cancel") || l.contains("refund")));
}

#[wasm_bindgen_test]
async fn a_declined_payment_code_says_why_and_the_field_takes_the_next_one() {
    fake_edge();
    let root = mount_app("cs_decline", Lang::En).await;
    wait_for(&root, r#"button[data-method="ezr_barcode"]"#).await;
    assert_eq!(text(&root, r#"[data-testid="group-barcode"] h3"#), "Show a payment code to the cashier");
    click(&root, r#"button[data-method="ezr_barcode"]"#);

    let input = r#"input[data-testid="barcode-input"]"#;
    wait_for(&root, input).await;
    type_into(&root, input, "2845a");
    wait_for(&root, r#"[data-testid="barcode-message"]"#).await;
    assert!(text(&root, r#"[data-testid="barcode-message"]"#).contains("digits only"));
    let field: HtmlInputElement = find(&root, input).unwrap().dyn_into().unwrap();
    assert_eq!(field.value(), "2845", "only the digits stay");
    press_enter_in(&root, input);
    yew::scheduler::flush().await;
    assert!(text(&root, r#"[data-testid="barcode-message"]"#).contains("16 to 24"));
    assert!(!edge_log().iter().any(|l| l.contains("/barcode")), "a short code costs no request");

    type_into(&root, input, "284567890123452002");
    yew::scheduler::flush().await;
    assert!(
        find(&root, r#"[data-testid="barcode-message"]"#).is_none(),
        "the old message goes with the edit"
    );
    // Messages come and go next to the field: the field itself must stay (and keep the focus).
    assert!(js_sys::Object::is(&find(&root, input).unwrap(), &field), "the field was re-created");
    assert!(is_focused(&root, input));
    click(&root, r#"button[data-testid="barcode-submit"]"#);
    wait_for(&root, r#"[data-testid="barcode-progress"] [data-testid="countdown"]"#).await;
    settle("cs_decline");
    let message =
        wait_for(&root, r#"[data-testid="barcode-message"]"#).await.text_content().unwrap_or_default();
    assert!(message.contains("Insufficient funds"), "{message}");
    assert!(find(&root, r#"[data-testid="barcode-progress"]"#).is_none());
    assert_eq!(field.value(), "", "the field is empty for the next code");
    assert!(!field.read_only());
    assert!(is_focused(&root, input), "and has the focus");
    assert!(find(&root, r#"[data-testid="paid"]"#).is_none());
}

// ---------------------------------------------------------------------------------------------
// Bank cards

mod card {
    use super::*;
    use checkout_shared::api::{
        CardField, CardProblem, CardSignupRequest, CardStep, CardType, CardView, SavedCard,
    };
    use checkout_widget::components::{CardScreen, CardScreenProps};
    use checkout_widget::state::card::FORM_FIELDS;
    use checkout_widget::state::{CardAction, CardPanel, CardStage};

    fn form() -> CardSignupRequest {
        CardSignupRequest {
            account_name: "张3".into(),
            card_number: "4111111111111112".into(),
            card_type: CardType::Debit,
            bank_code: String::new(),
            id_number: "310113198010101234".into(),
            mobile: "12800138000".into(),
            cvv2: None,
            expiry: None,
        }
    }

    fn panel(stage: CardStage) -> CardPanel {
        CardPanel { form: form(), ..CardPanel::new(stage) }
    }

    fn saved() -> SavedCard {
        SavedCard {
            id: "card_1".into(),
            bank_code: "0308".into(),
            bank_name: None,
            number: "6217 **** **** 0000".into(),
            card_type: CardType::Debit,
            phone: "138****8000".into(),
        }
    }

    fn props(panel: CardPanel, lang: Lang) -> (CardScreenProps, Rc<RefCell<Vec<CardAction>>>) {
        let actions = Rc::new(RefCell::new(Vec::new()));
        let a = actions.clone();
        let props = CardScreenProps {
            lang,
            amount: Fen(8800),
            subject: "西湖龙井".into(),
            panel,
            saved: vec![saved()],
            now: 1_000,
            on: Callback::from(move |action| a.borrow_mut().push(action)),
            on_switch: Callback::noop(),
        };
        (props, actions)
    }

    #[wasm_bindgen_test]
    async fn every_form_field_has_a_label_and_the_keyboard_it_needs() {
        let (props, actions) = props(panel(CardStage::Form), Lang::Zh);
        let root = mount::<CardScreen>(props).await;
        assert_eq!(attr(&root, r#"[data-testid="card"]"#, "data-step").as_deref(), Some("form"));
        let inputs = root.query_selector_all("input, select").unwrap();
        for i in 0..inputs.length() {
            let input: Element = inputs.item(i).unwrap().dyn_into().unwrap();
            let id = input.id();
            if input.get_attribute("type").as_deref() == Some("radio") {
                assert!(input.closest("label").unwrap().is_some(), "a radio inside its label");
                continue;
            }
            assert!(!id.is_empty(), "every field has an id");
            assert!(find(&root, &format!(r#"label[for="{id}"]"#)).is_some(), "no label for #{id}");
        }
        let hook = |field: &str, name: &str| attr(&root, &format!(r#"input[data-field="{field}"]"#), name);
        assert_eq!(hook("card_number", "autocomplete").as_deref(), Some("cc-number"));
        assert_eq!(hook("card_number", "inputmode").as_deref(), Some("numeric"));
        assert_eq!(hook("account_name", "autocomplete").as_deref(), Some("cc-name"));
        assert_eq!(hook("mobile", "type").as_deref(), Some("tel"));
        assert_eq!(hook("mobile", "inputmode").as_deref(), Some("tel"));
        // Debit: no CVV2 or expiry asked.
        assert!(find(&root, r#"[data-field="cvv2"]"#).is_none());
        // Nothing is said about a field before it is left.
        assert!(find(&root, r#"[data-testid="field-error"]"#).is_none());
        type_into(&root, r#"input[data-field="mobile"]"#, "138");
        assert!(
            matches!(actions.borrow().last(), Some(CardAction::Input(CardField::Mobile, t)) if t == "138")
        );
        press_enter_in(&root, r#"input[data-field="mobile"]"#);
        assert_eq!(actions.borrow().last(), Some(&CardAction::Submit));
    }

    #[wasm_bindgen_test]
    async fn problems_sit_next_to_their_fields_and_luhn_only_warns() {
        let mut p = panel(CardStage::Form);
        p.touched = FORM_FIELDS.to_vec();
        p.form.card_type = CardType::Credit;
        let (props, _) = props(p, Lang::En);
        let root = mount::<CardScreen>(props).await;
        for (field, words) in [
            ("account_name", "digits"),
            ("id_number", "check character"),
            ("mobile", "mainland"),
            ("cvv2", "3 digits"),
            ("expiry", "YYMM"),
            ("bank_code", "bank"),
        ] {
            let message = format!(r#"[data-testid="field-error"][data-field="{field}"]"#);
            assert!(text(&root, &message).contains(words), "{field}: {}", text(&root, &message));
            let input = format!(r#"[data-field="{field}"]:not(p)"#);
            assert_eq!(attr(&root, &input, "aria-invalid").as_deref(), Some("true"), "{field}");
            let described = attr(&root, &input, "aria-describedby").unwrap();
            assert_eq!(
                find(&root, &format!("#{described}")).unwrap().get_attribute("data-field").as_deref(),
                Some(field)
            );
        }
        assert!(
            text(&root, r#"[data-testid="field-warning"][data-field="card_number"]"#).contains("mistyped")
        );
        assert_eq!(
            attr(&root, r#"input[data-field="card_number"]"#, "aria-invalid"),
            None,
            "Luhn is a warning"
        );
        assert_eq!(attr(&root, r#"input[data-field="cvv2"]"#, "autocomplete").as_deref(), Some("cc-csc"));
        assert_eq!(attr(&root, r#"input[data-field="expiry"]"#, "autocomplete").as_deref(), Some("cc-exp"));
        assert_eq!(texts(&root, "select option").len(), 17, "the A.5 banks and the placeholder");
    }

    #[wasm_bindgen_test]
    async fn the_sms_step_shows_where_the_code_went_its_lifetime_and_the_resend_countdown() {
        let view = CardView {
            step: CardStep::PayCodeSent,
            card: Some(saved()),
            resend_at: 1_045,
            code_expires_at: Some(1_170),
            tries_left: 2,
            problem: Some(CardProblem::CodeWrong),
            gateway_code: Some("50061".into()),
        };
        let (props, actions) = props(panel(CardStage::Step(view)), Lang::Zh);
        let root = mount::<CardScreen>(props).await;
        assert_eq!(attr(&root, r#"[data-testid="card"]"#, "data-step").as_deref(), Some("pay_code_sent"));
        assert_eq!(text(&root, r#"[data-testid="code-phone"]"#), "138****8000");
        assert_eq!(attr(&root, "#ce-card-code", "autocomplete").as_deref(), Some("one-time-code"));
        assert_eq!(attr(&root, "#ce-card-code", "inputmode").as_deref(), Some("numeric"));
        assert_eq!(text(&root, r#"[data-testid="code-expiry"]"#), "02:50");
        assert_eq!(text(&root, r#"[data-testid="resend-countdown"]"#), "00:45");
        assert!(attr(&root, r#"[data-testid="code-resend"]"#, "disabled").is_some());
        assert!(text(&root, r#"[data-testid="tries-left"]"#).contains('2'));
        assert!(text(&root, r#"[data-testid="card-message"]"#).contains("验证码错误"));
        click(&root, r#"[data-testid="code-submit"]"#);
        assert_eq!(actions.borrow().last(), Some(&CardAction::SubmitCode));
    }

    #[wasm_bindgen_test]
    async fn saved_cards_pay_at_one_tap_and_ask_before_removal() {
        let (props, actions) = props(panel(CardStage::Choosing), Lang::Zh);
        let root = mount::<CardScreen>(props).await;
        assert!(text(&root, r#"[data-testid="saved-card"][data-card-id="card_1"]"#).contains("招商银行"));
        click(&root, r#"[data-testid="card-pay"]"#);
        assert_eq!(actions.borrow().last(), Some(&CardAction::Pay("card_1".into())));
        click(&root, r#"[data-testid="card-remove"]"#);
        assert_eq!(actions.borrow().last(), Some(&CardAction::AskRemove("card_1".into())));
        let mut p = panel(CardStage::Choosing);
        p.removing = Some("card_1".into());
        let (props, actions) = super::card::props(p, Lang::En);
        let root = mount::<CardScreen>(props).await;
        assert!(text(&root, ".ce-confirm").contains("Remove this card?"));
        click(&root, r#"[data-testid="card-remove-confirm"]"#);
        assert_eq!(actions.borrow().last(), Some(&CardAction::Remove));
    }
}
