//! The yew shell around the pure reducer: a `Reducible` adapter, the context provider that runs
//! the reducer's commands and the status long-poll, the `use_checkout()` hook, and `App`.

use crate::api::Edge;
use crate::components::Screens;
use crate::env::{InApp, Page};
use crate::host::{self, ResizeReporter};
use crate::i18n::Lang;
use crate::state::phone::{self, Place};
use crate::state::{
    self, Action, BarcodeAction, CardAction, Command, Pending, Phase, QrAction, State, UiError,
    poll_backoff_secs,
};
use checkout_shared::api::ErrorCode;
use gloo_timers::callback::Interval;
use gloo_timers::future::sleep;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use yew::platform::spawn_local;
use yew::prelude::*;

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let next = state::reduce((*self).clone(), action);
        // Keeping the same Rc when nothing changed spares a render (a long-poll timeout, say).
        if next == *self { self } else { Rc::new(next) }
    }
}

/// What components get from `use_checkout()`.
#[derive(Clone, PartialEq)]
pub struct Checkout {
    pub state: UseReducerHandle<State>,
    pub lang: Lang,
    pub in_app: Option<InApp>,
    /// A phone (and which wallet's browser) or a desktop: what the QR screen offers beside the code.
    pub place: Place,
    /// The merchant keeps the session's order of wallets on phones too.
    pub keep_order: bool,
    /// The file name a saved QR picture gets (the checkout's session id).
    pub picture_name: AttrValue,
    /// Set when framed: links that leave the checkout must then open in the top window.
    pub framed: bool,
}

impl Checkout {
    /// Dispatches an action the shopper caused.
    pub fn dispatch(&self, action: Action) {
        host::note_user_action();
        self.state.dispatch(action);
    }

    /// A callback that dispatches the same shopper action on every call.
    pub fn on<T>(&self, action: Action) -> Callback<T> {
        let state = self.state.clone();
        Callback::from(move |_| {
            host::note_user_action();
            state.dispatch(action.clone());
        })
    }
}

/// The checkout state of the nearest `CheckoutProvider`.
#[hook]
pub fn use_checkout() -> Option<Checkout> {
    use_context::<Checkout>()
}

#[derive(Properties, PartialEq)]
pub struct CheckoutProviderProps {
    pub edge: Edge,
    pub page: Page,
    #[prop_or_default]
    pub picture_name: AttrValue,
    #[prop_or_default]
    pub children: Html,
}

/// Owns the checkout state and does the IO the reducer asks for.
#[component]
pub fn CheckoutProvider(props: &CheckoutProviderProps) -> Html {
    let state = use_reducer_eq(State::new);
    let origin = props.page.parent_origin.clone();

    // The reducer's commands: each new `Pending` runs exactly once.
    {
        let dispatcher = state.dispatcher();
        let edge = props.edge.clone();
        use_effect_with(state.pending.clone(), move |pending| {
            if let Some(pending) = pending {
                // The answer carries the request's number: the reducer drops answers to requests
                // the shopper has since abandoned.
                let Pending { seq, command } = pending.clone();
                spawn_local(async move {
                    let action = match command {
                        Command::Load => match edge.view().await {
                            Ok((view, server_now)) => {
                                host::mark("checkout:view");
                                Action::Loaded {
                                    view: Box::new(view),
                                    client_now: host::now_secs(),
                                    server_now,
                                }
                            }
                            Err(error) => Action::LoadFailed(error),
                        },
                        Command::RequestQr(choice) => {
                            host::mark("checkout:qr-request");
                            let answer = edge.request_qr(choice.method, choice.channel).await;
                            host::mark("checkout:qr-answer");
                            match answer {
                                Ok(qr) => Action::Qr(QrAction::Issued { seq, qr }),
                                Err(error) => Action::Qr(QrAction::Failed { seq, error }),
                            }
                        }
                        Command::Simulate => match edge.simulate().await {
                            Ok(()) => Action::Qr(QrAction::SimulateAccepted { seq }),
                            Err(error) => Action::Qr(QrAction::SimulateFailed { seq, error }),
                        },
                        Command::SubmitBarcode { method, code } => match edge.barcode(method, code).await {
                            Ok(view) => Action::Barcode(BarcodeAction::Accepted { seq, view }),
                            Err(error) => Action::Barcode(BarcodeAction::Refused { seq, error }),
                        },
                        Command::CardRemove(card_id) => {
                            let result = edge.remove_card(&card_id).await;
                            Action::Card(CardAction::Removed { seq, result })
                        }
                        // One call for every card step, so the widget carries one copy of it.
                        card => match crate::api::card_call(&card) {
                            Some((tail, body)) => {
                                Action::Card(CardAction::Answer { seq, result: edge.card(tail, body).await })
                            }
                            None => return,
                        },
                    };
                    dispatcher.dispatch(action);
                });
            }
        });
    }

    // The status long-poll, from the loaded version until the status is final.
    {
        let dispatcher = state.dispatcher();
        let edge = props.edge.clone();
        let since = state.version;
        use_effect_with(state.should_poll(), move |&poll| {
            let stopped = Rc::new(Cell::new(false));
            if poll {
                let stopped = stopped.clone();
                spawn_local(long_poll(edge, since, dispatcher, stopped));
            }
            move || stopped.set(true)
        });
    }

    // The clock, only while a countdown (a QR's expiry, a cashier payment's deadline, an SMS
    // code's lifetime or resend cooldown) is on screen.
    {
        let dispatcher = state.dispatcher();
        use_effect_with(state.needs_clock(), move |&showing| {
            let interval = showing.then(|| {
                dispatcher.dispatch(Action::Tick(host::now_secs()));
                Interval::new(1000, move || dispatcher.dispatch(Action::Tick(host::now_secs())))
            });
            move || drop(interval)
        });
    }

    // The host page: ready once something other than "loading" shows, then every status.
    {
        let origin = origin.clone();
        let ready = state.phase != Phase::Loading;
        use_effect_with(ready, move |&ready| {
            if ready {
                // The first screen other than "loading" is on the page with its handlers: the
                // widget is usable (the mobile benchmark reads this mark).
                host::mark("checkout:ready");
                host::post(origin.as_deref(), "ready", &[]);
            }
        });
    }
    {
        let origin = origin.clone();
        let loaded = state.view.is_some();
        use_effect_with((loaded, state.status.clone()), move |(loaded, status)| {
            if *loaded {
                host::post(origin.as_deref(), "status", &[("status", status.as_str().into())]);
            }
        });
    }
    {
        let origin = origin.clone();
        use_effect_with((), move |_| {
            let reporter = ResizeReporter::start(origin);
            move || drop(reporter)
        });
    }

    let lang = props
        .page
        .lang
        .or_else(|| state.view.as_ref().map(|v| Lang::from_locale(&v.locale)))
        .unwrap_or_default();
    let context = Checkout {
        state,
        lang,
        in_app: props.page.in_app,
        place: props.page.place,
        keep_order: props.page.keep_order,
        picture_name: props.picture_name.clone(),
        framed: origin.is_some(),
    };
    html! {
        <ContextProvider<Checkout> {context}>{ props.children.clone() }</ContextProvider<Checkout>>
    }
}

/// Waits for status changes and reports them, backing off on failures, until the status is
/// final or the provider goes away.
async fn long_poll(
    edge: Edge,
    mut since: u64,
    dispatcher: UseReducerDispatcher<State>,
    stopped: Rc<Cell<bool>>,
) {
    let mut failures = 0u32;
    while !stopped.get() {
        let started = host::now_secs();
        match edge.status(since).await {
            Ok(update) => {
                failures = 0;
                let unchanged = update.version <= since;
                since = since.max(update.version);
                let done = update.status.is_final();
                if !stopped.get() {
                    dispatcher.dispatch(Action::Status(update));
                }
                if done {
                    return;
                }
                // A wait that came back at once with nothing new would otherwise spin: pace it.
                if unchanged && host::now_secs() <= started {
                    sleep(Duration::from_secs(1)).await;
                }
            }
            // The link is dead: asking again will not revive it.
            Err(UiError::Api(ErrorCode::NotFound)) => return,
            Err(_) => {
                failures = failures.saturating_add(1);
                sleep(Duration::from_secs(u64::from(poll_backoff_secs(failures)))).await;
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub client_secret: AttrValue,
    /// The edge's origin; empty for the page's own (the hosted page).
    #[prop_or_default]
    pub edge_base: AttrValue,
    #[prop_or_default]
    pub page: Page,
}

/// The whole widget.
#[component]
pub fn App(props: &AppProps) -> Html {
    let edge = Edge::new(&props.edge_base, &props.client_secret);
    let session_id = checkout_shared::session::session_id_of_secret(&props.client_secret).unwrap_or_default();
    let picture_name = AttrValue::from(phone::picture_name(session_id));
    html! {
        <CheckoutProvider {edge} page={props.page.clone()} {picture_name}>
            <Screens />
        </CheckoutProvider>
    }
}
