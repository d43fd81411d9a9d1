//! The screens. `Screens` reads the checkout context and picks one; every screen below it takes
//! plain props and reports clicks upward as callbacks, so each can be mounted alone in a
//! browser test. Screens without hooks are plain functions (each component costs the widget's
//! size budget its own copy of yew's lifecycle); their root carries a `key` per screen, so yew
//! replaces rather than patches it when the screen changes and the new `Heading` takes the focus. Test ids and data attributes are the end-to-end tests' contract (listed in the
//! crate docs): keep them.

use crate::app::use_checkout;
use crate::env::{InApp, safe_link};
use crate::host;
use crate::i18n::{self, Lang, Msg, t};
use crate::state::card::{FORM_FIELDS, china_month};
use crate::state::phone::{self, Place, WalletAction};
use crate::state::{
    Action, BarcodeAction, BarcodeNotice, BarcodePanel, BarcodeStep, CardAction, CardFailure, CardPanel,
    CardStage, Offer, Phase, QrAction, QrChoice, QrPhase, Simulation, State, UiError,
};
use checkout_shared::Fen;
use checkout_shared::api::{
    CardField, CardStep, CardType, CardView, Channel, ErrorCode, FieldProblem, PaymentMethod, QrView,
    SavedCard, SessionStatus,
};
use checkout_shared::card::BANKS;
use checkout_shared::qr;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The wallet as the DOM contract spells it (`data-channel`, which the stylesheet also colours
/// the wallet's mark by). These names predate the gateway-neutral API names and the end-to-end tests
/// click them, so they stay as they were.
pub fn channel_hook(channel: &Channel) -> &str {
    match channel {
        Channel::WechatPay => "WECHATPAY",
        Channel::Alipay => "ALIPAY",
        Channel::Unionpay => "UNIONPAY",
        Channel::Unknown(name) => name,
    }
}

/// The text of the `aria-live` status line: a short status, not a repeat of the heading, and
/// announced by screen readers on each change. The countdown is deliberately not in it (it
/// would talk every second).
pub fn status_text(lang: Lang, state: &State) -> String {
    let detail = match &state.phase {
        // The loading and failure screens say it themselves (the latter as an alert).
        Phase::Loading | Phase::Unavailable(_) => return String::new(),
        Phase::Qr(QrPhase::Requesting { .. } | QrPhase::Showing { refreshing: Some(_), .. }) => {
            t(lang, Msg::CreatingQr)
        }
        Phase::Qr(QrPhase::Showing { .. }) if state.qr_expired() => t(lang, Msg::StatusQrExpired),
        Phase::Qr(QrPhase::Showing { simulation, .. }) => match simulation {
            Simulation::Idle => t(lang, Msg::WaitingForPayment),
            Simulation::Sending { .. } => t(lang, Msg::Simulating),
            Simulation::Sent => t(lang, Msg::SimulateSent),
        },
        Phase::Barcode(panel) if panel.is_busy() => t(lang, Msg::BarcodeProcessing),
        Phase::Card(panel) if panel.busy.is_some() => t(lang, Msg::CardSending),
        Phase::Card(panel) => match &panel.stage {
            CardStage::Step(view) => i18n::card_step_text(lang, &view.step),
            CardStage::Choosing => t(lang, Msg::CardChoose),
            CardStage::Form => t(lang, Msg::CardAdd),
        },
        // Paid before the session's own status says so (a cashier payment's answer came first).
        Phase::Paid => return format!("{}{}", t(lang, Msg::StatusPrefix), t(lang, Msg::StatusPaid)),
        Phase::Picking | Phase::Barcode(_) | Phase::Closed(_) => {
            return format!("{}{}", t(lang, Msg::StatusPrefix), i18n::status_word(lang, &state.status));
        }
    };
    detail.to_owned()
}

/// Picks the screen for the current phase, with the parts every screen shares.
#[component]
pub fn Screens() -> Html {
    let Some(checkout) = use_checkout() else {
        return html! {};
    };
    let lang = checkout.lang;
    let state = &*checkout.state;
    let view = state.view.as_ref();
    let amount = view.map(|v| v.amount).unwrap_or_default();
    let subject: AttrValue = view.map(|v| AttrValue::from(v.subject.clone())).unwrap_or_default();

    let screen = match &state.phase {
        Phase::Loading => loading(lang),
        Phase::Unavailable(error) => {
            // Only a failed read can be retried; "no usable method" will not change by retrying.
            let retry = (view.is_none() && error.is_retryable()).then(|| checkout.on(Action::Retry));
            unavailable(lang, error, retry)
        }
        Phase::Picking | Phase::Qr(QrPhase::Requesting { .. }) => {
            let busy = match &state.phase {
                Phase::Qr(QrPhase::Requesting { choice, .. }) => Some(choice.clone()),
                _ => None,
            };
            let methods = view.map(|v| v.methods.clone()).unwrap_or_default();
            let on_choose = {
                let checkout = checkout.clone();
                Callback::from(move |choice| checkout.dispatch(Action::Qr(QrAction::Choose(choice))))
            };
            let on_barcode = {
                let checkout = checkout.clone();
                Callback::from(move |method| checkout.dispatch(Action::Barcode(BarcodeAction::Open(method))))
            };
            let on_card = checkout.on(Action::Card(CardAction::Open));
            html! {
                { picker(&PickerProps {
                    lang, amount, subject: subject.clone(), methods, busy, on_choose, on_barcode, on_card,
                    place: checkout.place, keep_order: checkout.keep_order,
                }) }
            }
        }
        Phase::Qr(QrPhase::Showing { qr, refreshing, simulation }) => html! {
            <QrPanel
                {lang}
                {amount}
                subject={subject.clone()}
                qr={qr.clone()}
                seconds_left={state.qr_seconds_left().unwrap_or(0)}
                refreshing={refreshing.is_some()}
                in_app={checkout.in_app}
                place={checkout.place}
                picture_name={checkout.picture_name.clone()}
                framed={checkout.framed}
                test_mode={state.test_mode()}
                simulation={*simulation}
                on_refresh={checkout.on(Action::Qr(QrAction::Refresh))}
                on_switch={checkout.on(Action::SwitchMethod)}
                on_simulate={checkout.on(Action::Qr(QrAction::Simulate))}
            />
        },
        Phase::Barcode(panel) => {
            let on_input = {
                let checkout = checkout.clone();
                Callback::from(move |text| checkout.dispatch(Action::Barcode(BarcodeAction::Input(text))))
            };
            html! {
                <BarcodeScreen
                    {lang}
                    {amount}
                    subject={subject.clone()}
                    panel={panel.clone()}
                    seconds_left={state.barcode_seconds_left()}
                    {on_input}
                    on_submit={checkout.on(Action::Barcode(BarcodeAction::Submit))}
                    on_switch={checkout.on(Action::SwitchMethod)}
                />
            }
        }
        Phase::Card(panel) => {
            let on = {
                let checkout = checkout.clone();
                Callback::from(move |action| checkout.dispatch(Action::Card(action)))
            };
            let saved = view.map(|v| v.saved_cards.clone()).unwrap_or_default();
            html! {
                <CardScreen {lang} {amount} subject={subject.clone()} panel={(**panel).clone()} {saved} now={state.now}
                    {on} on_switch={checkout.on(Action::SwitchMethod)} />
            }
        }
        Phase::Paid => {
            let return_url = view
                .and_then(|v| v.return_url.as_deref())
                .and_then(safe_link)
                .map(|u| AttrValue::from(u.to_owned()));
            paid_screen(&PaidProps { lang, amount, return_url, framed: checkout.framed })
        }
        Phase::Closed(status) => closed_screen(&ClosedProps { lang, status: status.clone() }),
    };

    let error =
        state.error.as_ref().map(|error| error_banner(lang, error, checkout.on(Action::DismissError)));
    html! {
        <section class="ce" lang={lang.tag()} aria-label={if lang == Lang::Zh { "收银台" } else { "Checkout" }}>
            if state.test_mode() {
                <p class="ce-testmode">{ t(lang, Msg::TestMode) }</p>
            }
            { for error }
            { screen }
            <p class="ce-status" data-testid="status" role="status" aria-live="polite">{ status_text(lang, state) }</p>
        </section>
    }
}

/// While the view is read.
fn loading(lang: Lang) -> Html {
    html! {
        <div key="loading" class="ce-panel ce-loading" aria-busy="true">
            <span class="ce-spinner" aria-hidden="true"></span>
            <span>{ t(lang, Msg::Loading) }</span>
        </div>
    }
}

/// A heading that takes the focus when the screen it opens replaced the button the shopper
/// just used, so keyboard and screen-reader users are not dropped at the top of the page.
#[derive(Properties, PartialEq)]
pub struct HeadingProps {
    pub text: AttrValue,
}

#[component]
pub fn Heading(props: &HeadingProps) -> Html {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with((), move |_| {
            if let Some(element) = node.cast::<web_sys::HtmlElement>() {
                host::focus_if_lost(&element);
            }
        });
    }
    html! { <h2 class="ce-title" tabindex="-1" ref={node}>{ props.text.clone() }</h2> }
}

/// What is being paid: the amount (the session's, never the page's) and the subject.
fn summary(lang: Lang, amount: Fen, subject: &AttrValue) -> Html {
    html! {
        <div class="ce-summary">
            <p class="ce-amount">
                <span class="ce-visually-hidden">{ t(lang, Msg::PayAmount) }{ " " }</span>
                <span data-testid="amount">{ i18n::amount(amount) }</span>
            </p>
            <p class="ce-subject">{ subject.clone() }</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct PickerProps {
    pub lang: Lang,
    pub amount: Fen,
    pub subject: AttrValue,
    pub methods: Vec<PaymentMethod>,
    /// The wallet whose QR is being requested: every button waits meanwhile.
    #[prop_or_default]
    pub busy: Option<QrChoice>,
    pub on_choose: Callback<QrChoice>,
    #[prop_or_default]
    pub on_barcode: Callback<PaymentMethod>,
    #[prop_or_default]
    pub on_card: Callback<()>,
    /// On a phone the wallets that work on it come first (`state::phone::order_for`).
    #[prop_or_default]
    pub place: Place,
    #[prop_or_default]
    pub keep_order: bool,
}

/// What this session offers, grouped by what the shopper does: scan a code, or show their
/// payment code to the cashier.
pub fn picker(props: &PickerProps) -> Html {
    let lang = props.lang;
    let mut offer = Offer::of(&props.methods);
    phone::order_for(&mut offer, props.place, props.keep_order);
    let waiting = props.busy.is_some();
    let qr_buttons = offer.qr.iter().map(|option| {
        let busy = props.busy.as_ref() == Some(&option.choice);
        let onclick = {
            let on_choose = props.on_choose.clone();
            let choice = option.choice.clone();
            Callback::from(move |_: MouseEvent| on_choose.emit(choice.clone()))
        };
        let hook = channel_hook(&option.choice.channel);
        // The stylesheet colours each wallet by `data-channel`: a class built per wallet would
        // make yew build a `Classes` set (see `card_button`).
        html! {
            <li>
                <button type="button" class="ce-channel" data-method={option.choice.method.as_str().to_owned()}
                    data-channel={hook.to_owned()} {onclick} disabled={waiting} aria-busy={busy.then_some("true")}>
                    <span class="ce-channel-mark" aria-hidden="true"></span>
                    <span class="ce-channel-name">{ i18n::qr_option_label(lang, &option.choice, option.shared) }</span>
                    if busy {
                        <span class="ce-spinner" aria-hidden="true"></span>
                    }
                </button>
            </li>
        }
    });
    let several = offer.barcode.len() > 1;
    let barcode_buttons = offer.barcode.iter().map(|method| {
        let onclick = {
            let on_barcode = props.on_barcode.clone();
            let method = method.clone();
            Callback::from(move |_: MouseEvent| on_barcode.emit(method.clone()))
        };
        html! {
            <li>
                <button type="button" class="ce-channel ce-channel--barcode" data-method={method.as_str().to_owned()}
                    {onclick} disabled={waiting}>
                    <span class="ce-channel-mark" aria-hidden="true"></span>
                    <span class="ce-channel-name">{ i18n::barcode_option_label(lang, method, several) }</span>
                </button>
            </li>
        }
    });
    // The ids are unique because the widget is mounted once per document (the loader frames it).
    html! {
        <div key="picker" class="ce-panel">
            { summary(lang, props.amount, &props.subject) }
            <Heading text={t(lang, Msg::ChooseMethod)} />
            if !offer.qr.is_empty() {
                <section class="ce-group" data-testid="group-qr" aria-labelledby="ce-group-qr">
                    <h3 class="ce-group-title" id="ce-group-qr">{ t(lang, Msg::GroupScan) }</h3>
                    <ul class="ce-channels">{ for qr_buttons }</ul>
                </section>
            }
            if offer.card {
                <section class="ce-group" data-testid="group-card" aria-labelledby="ce-group-card">
                    <h3 class="ce-group-title" id="ce-group-card">{ t(lang, Msg::GroupCard) }</h3>
                    <ul class="ce-channels">
                        <li>
                            <button type="button" class="ce-channel ce-channel--card" data-method="payzero_card"
                                onclick={props.on_card.reform(|_: MouseEvent| ())} disabled={waiting}>
                                <span class="ce-channel-mark" aria-hidden="true"></span>
                                <span class="ce-channel-name">{ t(lang, Msg::CardMethod) }</span>
                            </button>
                        </li>
                    </ul>
                </section>
            }
            if !offer.barcode.is_empty() {
                <section class="ce-group" data-testid="group-barcode" aria-labelledby="ce-group-barcode">
                    <h3 class="ce-group-title" id="ce-group-barcode">{ t(lang, Msg::GroupShowCode) }</h3>
                    <ul class="ce-channels">{ for barcode_buttons }</ul>
                </section>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct QrImageProps {
    pub lang: Lang,
    pub content: AttrValue,
    pub label: AttrValue,
    /// The same code as a PNG `data:` URL, drawn as an `<img>` instead of the SVG: a picture
    /// WeChat's long-press can read and a phone can save.
    #[prop_or_default]
    pub picture: Option<AttrValue>,
}

/// The QR itself, drawn here from the content: the payment URL is never sent to an image
/// service.
#[component]
pub fn QrImage(props: &QrImageProps) -> Html {
    let svg = use_memo(props.content.clone(), |content| qr::encode(content));
    let drawn = svg.is_some();
    use_effect_with(drawn, |&drawn| {
        if drawn {
            host::mark_qr_visible();
        }
    });
    match (&*svg, &props.picture) {
        // As large as the SVG it stands for, so nothing moves when it replaces the first paint.
        (Some(svg), Some(picture)) => {
            let side = svg.pixels.to_string();
            html! {
                <img class="ce-qr-img" data-testid="qr-image" src={picture.clone()} alt={props.label.clone()}
                    width={side.clone()} height={side} />
            }
        }
        // The same markup the edge draws into the hosted page's first paint.
        (Some(svg), None) => Html::from_html_unchecked(svg.markup(&props.label).into()),
        (None, _) => {
            html! { <p class="ce-qr-error" role="alert">{ i18n::error_text(props.lang, &UiError::QrEncode) }</p> }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct QrPanelProps {
    pub lang: Lang,
    pub amount: Fen,
    pub subject: AttrValue,
    pub qr: QrView,
    pub seconds_left: u64,
    #[prop_or_default]
    pub refreshing: bool,
    #[prop_or_default]
    pub in_app: Option<InApp>,
    /// A phone (or a wallet's browser on one): the code is handed to the wallet app.
    #[prop_or_default]
    pub place: Place,
    /// The saved picture's file name.
    #[prop_or_default]
    pub picture_name: AttrValue,
    /// In the loader's frame: the wallet's own link is opened by the top window.
    #[prop_or_default]
    pub framed: bool,
    #[prop_or_default]
    pub test_mode: bool,
    #[prop_or_default]
    pub simulation: Simulation,
    pub on_refresh: Callback<()>,
    pub on_switch: Callback<()>,
    pub on_simulate: Callback<()>,
}

/// The QR to scan, with who collects the money, how long the code lives and what else to do.
/// On a phone it also hands the code to the wallet app on this device (`state::phone`): a button
/// that opens the app, or the code as a picture to long-press or save.
#[component]
pub fn QrPanel(props: &QrPanelProps) -> Html {
    let lang = props.lang;
    let show_anyway = use_state(|| false);
    let expired = props.seconds_left == 0;
    let channel = i18n::channel_name(lang, &props.qr.channel).to_owned();
    let qr_label = format!("{} – {}", t(lang, Msg::QrLabel), channel);
    let action = phone::wallet_action(props.place, &props.qr.channel, &props.qr.qr_content);
    let as_picture = matches!(action, WalletAction::LongPress | WalletAction::Save);
    let picture = use_memo((props.qr.qr_content.clone(), as_picture), |(content, as_picture)| {
        as_picture.then(|| qr::png(content)).flatten().map(|png| AttrValue::from(qr::data_url(&png)))
    });
    let picture = (*picture).clone();

    let code = if expired {
        html! {
            <div class="ce-qr ce-qr--expired" data-testid="qr">
                <p>{ t(lang, Msg::QrExpired) }</p>
            </div>
        }
    } else if action == WalletAction::LeaveApp && !*show_anyway {
        // This app's browser cannot reach the wallet: explain first, and show the code only on
        // request (for a screenshot or a second device).
        let title = match props.in_app {
            Some(InApp::Alipay) => Msg::InAlipay,
            _ => Msg::InWechat,
        };
        let onclick = {
            let show_anyway = show_anyway.clone();
            Callback::from(move |_: MouseEvent| show_anyway.set(true))
        };
        html! {
            <div class="ce-inapp" data-testid="inapp">
                <p class="ce-inapp-title">{ t(lang, title) }</p>
                <p>{ t(lang, Msg::InAppOpenBrowser) }</p>
                <p>{ t(lang, Msg::InAppScreenshot) }</p>
                <button type="button" class="ce-button ce-button--quiet" {onclick}>{ t(lang, Msg::ShowQrAnyway) }</button>
            </div>
        }
    } else {
        html! {
            <div class="ce-qr" data-testid="qr" aria-busy={props.refreshing.then_some("true")}>
                <QrImage {lang} content={props.qr.qr_content.clone()} label={qr_label} picture={picture.clone()} />
            </div>
        }
    };

    // What this phone does with the code, under it (so the code stays where the first paint drew
    // it). Nothing for an expired code: it must be refreshed first.
    let on_phone = match (&action, expired) {
        (_, true) | (WalletAction::Scan | WalletAction::LeaveApp, _) => Html::default(),
        (WalletAction::Open { href }, false) => {
            // A web link opens beside the checkout, which keeps waiting for the payment; the
            // app's own scheme leaves the page where it is (from the loader's frame, the top
            // window asks the system for the app).
            let web = href.starts_with("http");
            let target = if web {
                Some("_blank")
            } else if props.framed {
                Some("_top")
            } else {
                None
            };
            html! {
                <a class="ce-button" data-testid="open-wallet" href={href.clone()} {target}
                    rel={web.then_some("noopener")}>{ i18n::open_wallet(lang, &props.qr.channel) }</a>
            }
        }
        (WalletAction::LongPress, false) => html! {
            <p class="ce-hint" data-testid="picture-caveat">{ t(lang, Msg::PictureCaveat) }</p>
        },
        (WalletAction::Save, false) => match &picture {
            Some(picture) => html! {
                <>
                    <a class="ce-button" data-testid="save-qr" href={picture.clone()} download={props.picture_name.clone()}>
                        { t(lang, Msg::SaveQr) }
                    </a>
                    <p class="ce-hint" data-testid="save-steps">{ t(lang, Msg::SaveSteps) }</p>
                    <p class="ce-hint">{ t(lang, Msg::PictureCaveat) }</p>
                </>
            },
            None => Html::default(),
        },
    };
    let title = match &action {
        WalletAction::Scan | WalletAction::LeaveApp => i18n::scan_instruction(lang, &props.qr.channel),
        WalletAction::LongPress => t(lang, Msg::LongPressTitle).to_owned(),
        WalletAction::Open { .. } | WalletAction::Save => i18n::pay_in_app(lang, &props.qr.channel),
    };
    let hint = if props.place.is_phone() { Msg::OtherDevice } else { Msg::ScanHint };

    let on_refresh = props.on_refresh.reform(|_: MouseEvent| ());
    let on_switch = props.on_switch.reform(|_: MouseEvent| ());
    let on_simulate = props.on_simulate.reform(|_: MouseEvent| ());
    let simulate_text = match props.simulation {
        Simulation::Idle => Msg::Simulate,
        Simulation::Sending { .. } => Msg::Simulating,
        Simulation::Sent => Msg::SimulateSent,
    };
    html! {
        <div class="ce-panel" data-testid="qr-panel" data-method={props.qr.method.as_str().to_owned()}
            data-channel={channel_hook(&props.qr.channel).to_owned()}>
            { summary(lang, props.amount, &props.subject) }
            <Heading text={title} />
            { code }
            { on_phone }
            <p class="ce-countdown-line">
                <span>{ t(lang, Msg::QrValidFor) }{ " " }</span>
                <span class="ce-countdown" data-testid="countdown" role="timer">{ i18n::countdown(props.seconds_left) }</span>
            </p>
            if expired {
                <button type="button" class="ce-button" data-testid="refresh" onclick={on_refresh} disabled={props.refreshing}>
                    { t(lang, if props.refreshing { Msg::CreatingQr } else { Msg::RefreshQr }) }
                </button>
            }
            <p class="ce-hint">{ t(lang, hint) }</p>
            <p class="ce-psp">{ t(lang, Msg::ProcessedBy) }<span data-testid="psp">{ i18n::collector_name(lang, &props.qr) }</span></p>
            if props.test_mode {
                <button type="button" class="ce-button ce-button--test" data-testid="simulate" onclick={on_simulate}
                    disabled={props.simulation != Simulation::Idle || expired}>
                    { t(lang, simulate_text) }
                </button>
            }
            <button type="button" class="ce-button ce-button--quiet" data-testid="switch" onclick={on_switch}>
                { t(lang, Msg::SwitchChannel) }
            </button>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct BarcodeScreenProps {
    pub lang: Lang,
    pub amount: Fen,
    pub subject: AttrValue,
    pub panel: BarcodePanel,
    /// Until the edge cancels the payment in progress, when one is.
    #[prop_or_default]
    pub seconds_left: Option<u64>,
    /// The field's content, as typed.
    pub on_input: Callback<String>,
    pub on_submit: Callback<()>,
    pub on_switch: Callback<()>,
}

/// Cashier mode: a field the scanner types the shopper's payment code into (a scanner is a
/// keyboard that ends with Enter), the payment's progress, and what became of the last code.
#[component]
pub fn BarcodeScreen(props: &BarcodeScreenProps) -> Html {
    let lang = props.lang;
    let panel = &props.panel;
    let editable = !panel.is_busy();
    let field = use_node_ref();
    // The scanner types wherever the focus is: the field has it when the panel opens and again
    // when it is ready for the next code.
    {
        let field = field.clone();
        use_effect_with(editable, move |&editable| {
            if editable && let Some(input) = field.cast::<web_sys::HtmlElement>() {
                host::focus_field(&input);
            }
        });
    }
    let oninput =
        props.on_input.reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
    let onsubmit = {
        let on_submit = props.on_submit.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_submit.emit(());
        })
    };
    let on_switch = props.on_switch.reform(|_: MouseEvent| ());
    let invalid = matches!(panel.notice, Some(BarcodeNotice::Invalid(_)));
    // Parts that come and go are single nodes in fixed places (`{ html }`, never `{ for … }`,
    // which changes the number of siblings): yew pairs unkeyed siblings from the end, so a
    // message coming or going after the field would pair the field with another node, re-create
    // it and drop the focus the scanner types into.
    let message = match &panel.notice {
        Some(notice) => html! {
            <p id="ce-barcode-message" class="ce-field-message" data-testid="barcode-message" role="alert">
                { i18n::barcode_notice_text(lang, notice) }
            </p>
        },
        None => Html::default(),
    };
    let progress = if panel.is_busy() {
        let countdown = match (&panel.step, props.seconds_left) {
            (BarcodeStep::Processing { .. }, Some(left)) => html! {
                <p class="ce-countdown-line">
                    <span>{ t(lang, Msg::BarcodeTimeLeft) }{ " " }</span>
                    <span class="ce-countdown" data-testid="countdown" role="timer">{ i18n::countdown(left) }</span>
                </p>
            },
            _ => Html::default(),
        };
        html! {
            <div class="ce-progress" data-testid="barcode-progress" aria-busy="true">
                <p class="ce-progress-title">
                    <span class="ce-spinner" aria-hidden="true"></span>
                    <span>{ t(lang, Msg::BarcodeProcessing) }</span>
                </p>
                { countdown }
                <p class="ce-hint">{ t(lang, Msg::BarcodeConfirmHint) }</p>
            </div>
        }
    } else {
        Html::default()
    };
    // The ids are unique because the widget is mounted once per document (the loader frames it).
    html! {
        <div class="ce-panel ce-barcode" data-testid="barcode" data-method={panel.method.as_str().to_owned()}>
            { summary(lang, props.amount, &props.subject) }
            <h2 class="ce-title">{ t(lang, Msg::BarcodeTitle) }</h2>
            <p class="ce-hint">{ t(lang, Msg::BarcodeHint) }</p>
            <form class="ce-barcode-form" {onsubmit}>
                <label class="ce-field-label" for="ce-barcode-input">{ t(lang, Msg::BarcodeLabel) }</label>
                <input id="ce-barcode-input" class="ce-input" data-testid="barcode-input" ref={field}
                    type="text" inputmode="numeric" autocomplete="off" autocapitalize="off" spellcheck="false"
                    enterkeyhint="send" value={panel.input.clone()} {oninput} readonly={!editable}
                    aria-invalid={invalid.then_some("true")}
                    aria-describedby={panel.notice.is_some().then_some("ce-barcode-message")} />
                { message }
                <button type="submit" class="ce-button" data-testid="barcode-submit" disabled={!editable}>
                    { t(lang, Msg::BarcodeSubmit) }
                </button>
            </form>
            { progress }
            <p class="ce-psp">{ t(lang, Msg::ProcessedBy) }<span data-testid="psp">{ i18n::gateway_name(lang, &panel.method).to_owned() }</span></p>
            if editable {
                <button type="button" class="ce-button ce-button--quiet" data-testid="switch" onclick={on_switch}>
                    { t(lang, Msg::SwitchChannel) }
                </button>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct PaidProps {
    pub lang: Lang,
    pub amount: Fen,
    #[prop_or_default]
    pub return_url: Option<AttrValue>,
    /// In an iframe the return link must replace the host page, not the frame.
    #[prop_or_default]
    pub framed: bool,
}

pub fn paid_screen(props: &PaidProps) -> Html {
    let lang = props.lang;
    html! {
        <div key="paid" class="ce-panel ce-result ce-result--paid" data-testid="paid">
            <div class="ce-check" aria-hidden="true">{ "✓" }</div>
            <Heading text={t(lang, Msg::Paid)} />
            <p class="ce-amount">{ i18n::amount(props.amount) }</p>
            <p>{ t(lang, Msg::PaidThanks) }</p>
            if let Some(url) = props.return_url.clone() {
                <a class="ce-button" href={url} target={props.framed.then_some("_top")}>{ t(lang, Msg::ReturnToMerchant) }</a>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ClosedProps {
    pub lang: Lang,
    pub status: SessionStatus,
}

/// Expired or canceled: say so plainly, and that no money moved. "Requires attention" gets a
/// calm variant: money may have moved, and the shop (not the shopper retrying) sorts it out.
pub fn closed_screen(props: &ClosedProps) -> Html {
    let (title, body) = i18n::closed_texts(props.lang, &props.status);
    let attention = props.status == SessionStatus::RequiresAttention;
    // One literal class: the status itself is in `data-status` (see `card_button` for why).
    html! {
        <div key="closed" class="ce-panel ce-result" data-testid="closed" data-status={props.status.as_str().to_owned()}>
            if attention {
                <div class="ce-info" aria-hidden="true">{ "i" }</div>
            } else {
                <div class="ce-cross" aria-hidden="true">{ "!" }</div>
            }
            <Heading text={title} />
            <p>{ body }</p>
        </div>
    }
}

/// The session cannot be shown at all.
fn unavailable(lang: Lang, error: &UiError, on_retry: Option<Callback<MouseEvent>>) -> Html {
    let retry = on_retry.map(|onclick| {
        html! { <button type="button" class="ce-button" {onclick}>{ t(lang, Msg::Retry) }</button> }
    });
    let text = match error {
        UiError::Api(ErrorCode::MethodNotSupported) => t(lang, Msg::NoMethod),
        other => i18n::error_text(lang, other),
    };
    html! {
        <div key="unavailable" class="ce-panel ce-result">
            <p class="ce-error" data-testid="error" role="alert">{ text }</p>
            { for retry }
        </div>
    }
}

/// A failure next to a screen that still works (a QR request that failed, say).
fn error_banner(lang: Lang, error: &UiError, onclick: Callback<MouseEvent>) -> Html {
    html! {
        <div class="ce-error" data-testid="error" role="alert">
            <span>{ i18n::error_text(lang, error) }</span>
            <button type="button" class="ce-dismiss" aria-label={t(lang, Msg::Dismiss)} {onclick}>{ "×" }</button>
        </div>
    }
}

/// The DOM id of a card field: `ce-card-` and its wire name (`ce-card-card_number`).
fn field_id(field: &CardField) -> String {
    ["ce-card-", field.as_str()].concat()
}

/// How a text field of the card flow asks for its keyboard and autofill.
struct FieldSpec {
    field: CardField,
    autocomplete: &'static str,
    inputmode: &'static str,
    maxlength: &'static str,
}

/// One labelled field: the input, and below it the problem (or the card number's Luhn
/// warning) that `aria-describedby` points at. A plain function, not a component: every
/// component costs the widget's size budget its own copy of yew's lifecycle.
fn card_input(
    lang: Lang,
    spec: FieldSpec,
    value: String,
    problem: Option<FieldProblem>,
    warning: bool,
    on: &Callback<CardAction>,
) -> Html {
    let FieldSpec { field, autocomplete, inputmode, maxlength } = spec;
    let id = field_id(&field);
    let msg_id = [id.as_str(), "-msg"].concat();
    let name = field.as_str().to_owned();
    let message = match &problem {
        Some(problem) => html! {
            <p id={msg_id.clone()} class="ce-field-message" data-testid="field-error" data-field={name.clone()}>
                { i18n::field_problem_text(lang, &field, problem) }
            </p>
        },
        None if warning => html! {
            <p id={msg_id.clone()} class="ce-field-message ce-field-message--warning" data-testid="field-warning"
                data-field={name.clone()}>{ t(lang, Msg::LuhnWarning) }</p>
        },
        None => Html::default(),
    };
    let invalid = problem.is_some();
    let described = (invalid || warning).then_some(msg_id);
    let type_ = if field == CardField::Mobile { "tel" } else { "text" };
    let label = i18n::field_label(lang, &field);
    let oninput = {
        let field = field.clone();
        on.reform(move |e: InputEvent| {
            let input = e.target_unchecked_into::<HtmlInputElement>();
            let typed = input.value();
            if field == CardField::CardNumber {
                keep_caret_while_grouping(&input, &typed);
            }
            CardAction::Input(field.clone(), typed)
        })
    };
    let onblur = on.reform(move |_: FocusEvent| CardAction::Leave(field.clone()));
    html! {
        <div class="ce-field">
            <label class="ce-field-label" for={id.clone()}>{ label }</label>
            <input {id} class="ce-input" type={type_} data-field={name} {value} {autocomplete} {inputmode} {maxlength}
                autocapitalize="off" spellcheck="false" {oninput} {onblur}
                aria-invalid={invalid.then_some("true")} aria-describedby={described} />
            { message }
        </div>
    }
}

/// Regroups the card number in place and puts the caret back after the same digits, so editing
/// the middle of the number does not throw the caret to the end when the page re-renders it.
fn keep_caret_while_grouping(input: &HtmlInputElement, typed: &str) {
    let grouped = checkout_shared::card::group_in_fours(typed);
    if grouped == typed {
        return;
    }
    let caret = input.selection_start().ok().flatten().map_or(typed.len(), |c| c as usize);
    let digits_before = typed.chars().take(caret).filter(char::is_ascii_digit).count();
    let at = checkout_shared::card::caret_after_digits(&grouped, digits_before) as u32;
    input.set_value(&grouped);
    let _ = input.set_selection_range(at, at);
}

#[derive(Properties, PartialEq)]
pub struct CardScreenProps {
    pub lang: Lang,
    pub amount: Fen,
    pub subject: AttrValue,
    pub panel: CardPanel,
    /// The cards the shopper can pay with at once.
    #[prop_or_default]
    pub saved: Vec<SavedCard>,
    /// The edge's clock, unix seconds.
    pub now: u64,
    pub on: Callback<CardAction>,
    pub on_switch: Callback<()>,
}

/// Bank-card quick pay: the saved cards, the sign-up form, then the SMS code steps. The
/// container's `data-step` says which (`choose`, `form`, or the edge's `CardStep`).
#[component]
pub fn CardScreen(props: &CardScreenProps) -> Html {
    let lang = props.lang;
    let panel = &props.panel;
    let now = props.now;
    let busy = panel.busy.is_some();
    let today = china_month(now);
    let (step, title) = match &panel.stage {
        CardStage::Choosing => ("choose", t(lang, Msg::CardChoose)),
        CardStage::Form => ("form", t(lang, Msg::CardAdd)),
        CardStage::Step(view) => (view.step.as_str(), i18n::card_step_text(lang, &view.step)),
    };
    // The focus follows the flow: into the code field when a code was sent, and to the first
    // field with a problem after a submit that found some.
    let focus = match &panel.stage {
        CardStage::Step(_) if panel.wants_code() => Some(field_id(&CardField::Code)),
        CardStage::Form if panel.touched.len() == FORM_FIELDS.len() => {
            panel.problems(today).first().map(|(field, _)| field_id(field))
        }
        _ => None,
    };
    let expires = match &panel.stage {
        CardStage::Step(view) => view.code_expires_at,
        _ => None,
    };
    use_effect_with((focus, expires), |(focus, _)| {
        if let Some(id) = focus
            && let Some(element) =
                web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id))
            && let Ok(element) = element.dyn_into::<web_sys::HtmlElement>()
        {
            host::focus_field(&element);
        }
    });
    let body = match &panel.stage {
        CardStage::Choosing => saved_cards(props),
        CardStage::Form => card_form(props, today),
        CardStage::Step(view) => card_step(props, view),
    };
    // What the edge said: the message of the last refused request, or the step's problem.
    let problem = match &panel.stage {
        CardStage::Step(view) => {
            view.problem.as_ref().map(|p| i18n::card_problem_text(lang, p, view.gateway_code.as_deref()))
        }
        _ => None,
    };
    // A rate limit is said once, by its countdown below.
    let limited = panel.retry_at > now;
    let notice = panel
        .general_notice()
        .filter(|n| !(limited && n.error == UiError::Api(ErrorCode::RateLimited)))
        .map(|n| i18n::card_failure_text(lang, n))
        .or(problem);
    let message = match notice {
        Some(text) => html! { <p class="ce-error" data-testid="card-message" role="alert">{ text }</p> },
        None => Html::default(),
    };
    let wait = if limited {
        html! {
            <p class="ce-countdown-line">
                <span>{ t(lang, Msg::RetryIn) }</span>
                <span class="ce-countdown" data-testid="retry-countdown" role="timer">{ i18n::countdown(panel.retry_at - now) }</span>
            </p>
        }
    } else {
        Html::default()
    };
    let back = match &panel.stage {
        CardStage::Form => !props.saved.is_empty(),
        CardStage::Step(_) => panel.can_leave(),
        CardStage::Choosing => false,
    };
    let on = &props.on;
    html! {
        <div class="ce-panel ce-card" data-testid="card" data-step={step.to_owned()} aria-busy={busy.then_some("true")}>
            { summary(lang, props.amount, &props.subject) }
            <Heading key={step} text={title} />
            { message }
            { wait }
            { body }
            if back {
                <button type="button" class="ce-button ce-button--quiet" data-testid="card-back"
                    onclick={on.reform(|_: MouseEvent| CardAction::Back)} disabled={busy}>
                    { t(lang, Msg::CardBack) }
                </button>
            }
            if panel.can_leave() {
                <button type="button" class="ce-button ce-button--quiet" data-testid="switch" onclick={props.on_switch.reform(|_: MouseEvent| ())}>
                    { t(lang, Msg::SwitchChannel) }
                </button>
            }
        </div>
    }
}

/// How a card button looks: its `class`, one of the stylesheet's button kinds.
#[derive(Clone, Copy)]
enum Look {
    /// A saved card to pay with, drawn like the picker's choices.
    Choice,
    Primary,
    Quiet,
    Danger,
    Link,
}

/// A button that sends one card action. Each look is a literal `class`: yew turns any other
/// `class={…}` into a `Classes` set (an `IndexSet` with its hasher), which alone cost the
/// widget 3.9 KB gzip for classes that are always chosen whole.
fn card_button(
    on: &Callback<CardAction>,
    testid: &'static str,
    look: Look,
    action: CardAction,
    disabled: bool,
    text: Html,
) -> Html {
    let onclick = on.reform(move |_: MouseEvent| action.clone());
    match look {
        Look::Choice => {
            html! { <button type="button" class="ce-channel" data-testid={testid} {onclick} {disabled}>{ text }</button> }
        }
        Look::Primary => {
            html! { <button type="button" class="ce-button" data-testid={testid} {onclick} {disabled}>{ text }</button> }
        }
        Look::Quiet => {
            html! { <button type="button" class="ce-button ce-button--quiet" data-testid={testid} {onclick} {disabled}>{ text }</button> }
        }
        Look::Danger => {
            html! { <button type="button" class="ce-button ce-button--danger" data-testid={testid} {onclick} {disabled}>{ text }</button> }
        }
        Look::Link => {
            html! { <button type="button" class="ce-link" data-testid={testid} {onclick} {disabled}>{ text }</button> }
        }
    }
}

/// The saved cards: one tap pays, "remove" asks first.
fn saved_cards(props: &CardScreenProps) -> Html {
    let lang = props.lang;
    let panel = &props.panel;
    let on = &props.on;
    let busy = panel.busy.is_some() || panel.retry_at > props.now;
    let cards = props.saved.iter().map(|card| {
        let bank = i18n::bank_name(lang, &card.bank_code, card.bank_name.as_deref());
        let kind = t(lang, if card.card_type == CardType::Credit { Msg::Credit } else { Msg::Debit });
        let label = html! {
            <>
                <span class="ce-channel-name">{ bank }</span>
                <span class="ce-card-number">{ [card.number.as_str(), " · ", kind].concat() }</span>
            </>
        };
        let pay = card_button(on, "card-pay", Look::Choice, CardAction::Pay(card.id.clone()), busy || panel.removing.is_some(), label);
        let remove_text = || html! { t(lang, Msg::CardRemove) };
        let remove = if panel.removing.as_ref() == Some(&card.id) {
            html! {
                <div class="ce-confirm" role="group" aria-label={[bank, " ", card.number.as_str()].concat()}>
                    <span>{ t(lang, Msg::CardRemoveAsk) }</span>
                    { card_button(on, "card-remove-confirm", Look::Danger, CardAction::Remove, busy, remove_text()) }
                    { card_button(on, "card-remove-cancel", Look::Quiet, CardAction::KeepCard, busy, html! { t(lang, Msg::CardKeep) }) }
                </div>
            }
        } else {
            card_button(on, "card-remove", Look::Link, CardAction::AskRemove(card.id.clone()), busy, remove_text())
        };
        html! {
            <li class="ce-saved-card" data-testid="saved-card" data-card-id={card.id.clone()}>{ pay }{ remove }</li>
        }
    });
    html! {
        <>
            <ul class="ce-channels ce-saved-cards">{ for cards }</ul>
            { card_button(on, "card-new", Look::Quiet, CardAction::NewCard, busy, html! { t(lang, Msg::CardNew) }) }
        </>
    }
}

/// A step the edge reported: the SMS code form, the "pay" button of a signed card, progress,
/// or a failed try with the ways to start again.
fn card_step(props: &CardScreenProps, view: &CardView) -> Html {
    let lang = props.lang;
    let panel = &props.panel;
    let on = &props.on;
    let now = props.now;
    let busy = panel.busy.is_some();
    let resend_at = panel.resend_at();
    let waiting = resend_at > now;
    let countdown = |text: Msg| {
        html! {
            <>
                { t(lang, text) }
                if waiting { { " " }<span class="ce-countdown" data-testid="resend-countdown">{ i18n::countdown(resend_at - now) }</span> }
            </>
        }
    };
    let card_id = view.card.as_ref().map(|c| c.id.clone()).unwrap_or_default();
    let pay = |text: Msg| {
        card_button(
            on,
            "card-pay",
            Look::Primary,
            CardAction::Pay(card_id.clone()),
            busy || waiting,
            countdown(text),
        )
    };
    match view.step {
        CardStep::SignupCodeSent | CardStep::PayCodeSent => {
            let onsubmit = on.reform(|e: SubmitEvent| {
                e.prevent_default();
                CardAction::SubmitCode
            });
            let problem = match &panel.notice {
                Some(CardFailure { field: Some(CardField::Code), problem, .. }) => problem.clone(),
                _ => None,
            };
            let lifetime = match view.code_expires_at.map(|at| at.saturating_sub(now)) {
                Some(0) => {
                    html! { <p class="ce-hint" data-testid="code-expiry">{ t(lang, Msg::ProblemCodeExpired) }</p> }
                }
                Some(secs) => html! {
                    <p class="ce-countdown-line">
                        <span>{ t(lang, Msg::CodeValidFor) }{ " " }</span>
                        <span class="ce-countdown" data-testid="code-expiry" role="timer">{ i18n::countdown(secs) }</span>
                    </p>
                },
                None => Html::default(),
            };
            let tries = if view.problem.is_some() || view.tries_left <= 1 {
                html! { <p class="ce-hint" data-testid="tries-left">{ t(lang, Msg::TriesLeft) }{ view.tries_left }</p> }
            } else {
                Html::default()
            };
            let phone = view.card.as_ref().map(|c| c.phone.clone()).unwrap_or_default();
            let spec = FieldSpec {
                field: CardField::Code,
                autocomplete: "one-time-code",
                inputmode: "numeric",
                maxlength: "6",
            };
            let submit =
                if view.step == CardStep::SignupCodeSent { Msg::ConfirmSignup } else { Msg::ConfirmPay };
            html! {
                <form class="ce-code-form" {onsubmit}>
                    <p class="ce-hint">{ t(lang, Msg::CodeSentTo) }<span data-testid="code-phone">{ phone }</span></p>
                    { card_input(lang, spec, panel.code.clone(), problem, false, on) }
                    { lifetime }
                    { tries }
                    <button type="submit" class="ce-button" data-testid="code-submit" disabled={busy}>{ t(lang, submit) }</button>
                    { card_button(on, "code-resend", Look::Quiet, CardAction::Resend, busy || waiting, countdown(Msg::Resend)) }
                </form>
            }
        }
        CardStep::Signed => html! {
            <>
                <p class="ce-hint">{ t(lang, Msg::SignedBody) }</p>
                { pay(Msg::PayNow) }
            </>
        },
        CardStep::Failed => html! {
            <>
                if view.card.is_some() { { pay(Msg::PayAgain) } }
                { card_button(on, "card-new", Look::Quiet, CardAction::NewCard, busy, html! { t(lang, Msg::CardNew) }) }
            </>
        },
        _ => html! {
            <div class="ce-progress" data-testid="card-progress" aria-busy="true">
                <p class="ce-progress-title">
                    <span class="ce-spinner" aria-hidden="true"></span>
                    <span>{ t(lang, Msg::StepProcessing) }</span>
                </p>
                <p class="ce-hint">{ t(lang, Msg::ProcessingHint) }</p>
            </div>
        },
    }
}

/// The sign-up form. Each field says what is wrong with it once left (or after a submit), by
/// the shared rules; a submit with problems sends nothing.
fn card_form(props: &CardScreenProps, today: (u32, u32)) -> Html {
    let lang = props.lang;
    let panel = &props.panel;
    let on = &props.on;
    let busy = panel.busy.is_some() || panel.retry_at > props.now;
    let input = |field: CardField,
                 autocomplete: &'static str,
                 inputmode: &'static str,
                 maxlength: &'static str| {
        let warning = field == CardField::CardNumber && panel.luhn_warning();
        let (value, problem) = (panel.value(&field), panel.shown_problem(&field, today));
        card_input(lang, FieldSpec { field, autocomplete, inputmode, maxlength }, value, problem, warning, on)
    };
    let onsubmit = on.reform(|e: SubmitEvent| {
        e.prevent_default();
        CardAction::Submit
    });
    let type_radio = |card_type: CardType, label: Msg| {
        let checked = panel.form.card_type == card_type;
        let value = card_type.as_str().to_owned();
        let onchange =
            on.reform(move |_: Event| CardAction::Input(CardField::CardType, card_type.as_str().to_owned()));
        html! {
            <label class="ce-choice">
                <input type="radio" name="card_type" data-field="card_type" {value} {checked} {onchange} />
                { t(lang, label) }
            </label>
        }
    };
    // The bank list, narrowed by the search field (the name in either language, or the code);
    // the bank chosen stays listed whatever the search.
    let bank_code = panel.form.bank_code.as_str();
    let needle = panel.bank_filter.trim().to_ascii_lowercase();
    let options = BANKS
        .iter()
        .filter(|bank| {
            let code = bank.as_str();
            let names = [bank.name_zh(), bank.name_en()];
            code == bank_code
                || code.contains(needle.as_str())
                || names.iter().flatten().any(|name| name.to_ascii_lowercase().contains(needle.as_str()))
        })
        .map(|bank| {
            let code = bank.as_str();
            html! { <option value={code.to_owned()} selected={code == bank_code}>{ i18n::bank_name(lang, code, None) }</option> }
        });
    let on_filter = on.reform(|e: InputEvent| {
        CardAction::FilterBanks(e.target_unchecked_into::<HtmlInputElement>().value())
    });
    let on_bank = on.reform(|e: Event| {
        CardAction::Input(CardField::BankCode, e.target_unchecked_into::<HtmlSelectElement>().value())
    });
    let on_bank_leave = on.reform(|_: FocusEvent| CardAction::Leave(CardField::BankCode));
    let bank_problem = panel.shown_problem(&CardField::BankCode, today);
    let bank_message = match &bank_problem {
        Some(problem) => html! {
            <p id="ce-card-bank_code-msg" class="ce-field-message" data-testid="field-error" data-field="bank_code">
                { i18n::field_problem_text(lang, &CardField::BankCode, problem) }
            </p>
        },
        None => Html::default(),
    };
    html! {
        <form class="ce-card-form" {onsubmit} novalidate=true>
            { input(CardField::AccountName, "cc-name", "text", "30") }
            { input(CardField::CardNumber, "cc-number", "numeric", "23") }
            <fieldset class="ce-field ce-choices">
                <legend class="ce-field-label">{ t(lang, Msg::LabelCardType) }</legend>
                { type_radio(CardType::Debit, Msg::Debit) }
                { type_radio(CardType::Credit, Msg::Credit) }
            </fieldset>
            <div class="ce-field">
                <label class="ce-field-label" for="ce-card-bank_filter">{ t(lang, Msg::BankFilter) }</label>
                <input id="ce-card-bank_filter" class="ce-input" type="search" data-testid="bank-filter" autocomplete="off"
                    value={panel.bank_filter.clone()} oninput={on_filter} aria-controls="ce-card-bank_code" />
                <label class="ce-field-label" for="ce-card-bank_code">{ t(lang, Msg::LabelBank) }</label>
                <select id="ce-card-bank_code" class="ce-input" data-field="bank_code" onchange={on_bank} onblur={on_bank_leave}
                    aria-invalid={bank_problem.is_some().then_some("true")}
                    aria-describedby={bank_problem.is_some().then_some("ce-card-bank_code-msg")}>
                    <option value="" disabled=true selected={bank_code.is_empty()}>{ t(lang, Msg::BankPlaceholder) }</option>
                    { for options }
                </select>
                { bank_message }
            </div>
            { input(CardField::IdNumber, "off", "text", "18") }
            { input(CardField::Mobile, "tel-national", "tel", "13") }
            if panel.form.card_type == CardType::Credit {
                { input(CardField::Cvv2, "cc-csc", "numeric", "3") }
                { input(CardField::Expiry, "cc-exp", "numeric", "4") }
            }
            <button type="submit" class="ce-button" data-testid="card-submit" disabled={busy}>
                { t(lang, if panel.busy.is_some() { Msg::CardSending } else { Msg::CardSubmit }) }
            </button>
        </form>
    }
}
