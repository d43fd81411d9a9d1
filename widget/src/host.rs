//! The browser glue around the widget: messages to the host page when we run in its iframe
//! (ready, resize, status), the clock, the benchmark's performance mark and focus handling.
//! Messages go only to the origin the iframe URL names, never to `*`: anything else would let
//! any page that frames us read the payment status.

use js_sys::{Object, Reflect};
use std::cell::Cell;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use web_sys::{ResizeObserver, Window};

/// Unix seconds by the client's clock.
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// The page's `window`, when framed by another page.
fn framed_window() -> Option<Window> {
    let window = web_sys::window()?;
    let parent = window.parent().ok().flatten()?;
    // At the top level `window.parent` is the window itself.
    (!Object::is(&parent, &window)).then_some(parent)
}

/// Posts `{source: "checkout-edge", type: kind, ...fields}` to the parent page, if framed and
/// the host's origin is known. Failures are dropped: the host page is only a listener.
pub fn post(parent_origin: Option<&str>, kind: &str, fields: &[(&str, JsValue)]) {
    let (Some(origin), Some(parent)) = (parent_origin, framed_window()) else {
        return;
    };
    let message = Object::new();
    let _ = Reflect::set(&message, &"source".into(), &"checkout-edge".into());
    let _ = Reflect::set(&message, &"type".into(), &kind.into());
    for (key, value) in fields {
        let _ = Reflect::set(&message, &(*key).into(), value);
    }
    let _ = parent.post_message(&message, origin);
}

/// The height the host should give the iframe: the whole document, in CSS pixels.
fn document_height() -> Option<f64> {
    let root = web_sys::window()?.document()?.document_element()?;
    Some(root.get_bounding_client_rect().height().ceil())
}

/// Tells the host page our height now and whenever it changes, until dropped.
pub struct ResizeReporter {
    observer: ResizeObserver,
    _callback: Closure<dyn FnMut()>,
}

impl ResizeReporter {
    /// `None` when not framed (nobody to tell) or the browser lacks `ResizeObserver`.
    pub fn start(parent_origin: Option<String>) -> Option<ResizeReporter> {
        framed_window()?;
        let origin = parent_origin?;
        let last = Cell::new(0.0);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(height) = document_height() {
                // ResizeObserver also fires for width changes; the host only cares about height.
                if height != last.get() {
                    last.set(height);
                    post(Some(&origin), "resize", &[("height", height.into())]);
                }
            }
        });
        let observer = ResizeObserver::new(callback.as_ref().unchecked_ref()).ok()?;
        let root = web_sys::window()?.document()?.document_element()?;
        observer.observe(&root);
        Some(ResizeReporter { observer, _callback: callback })
    }
}

impl Drop for ResizeReporter {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

thread_local! {
    static QR_MARKED: Cell<bool> = const { Cell::new(false) };
    static USER_ACTED: Cell<bool> = const { Cell::new(false) };
}

/// Notes that the shopper did something (clicked, pressed a key on a control), so a screen
/// change that follows may move the focus.
pub fn note_user_action() {
    USER_ACTED.with(|a| a.set(true));
}

/// `performance.mark("checkout:qr-visible")` the first time a QR is on screen: the benchmark
/// measures navigation start to this mark.
pub fn mark_qr_visible() {
    if QR_MARKED.with(|m| m.replace(true)) {
        return;
    }
    mark("checkout:qr-visible");
}

/// `performance.mark(name)`: the steps to the first QR (`checkout:mounted`, `checkout:view`,
/// `checkout:qr-request`, `checkout:qr-answer`), which the benchmark reads to show where the
/// time goes without timing anything over WebDriver.
pub fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark(name);
    }
}

/// Moves focus to `element` when the shopper's focus was lost because the button they used
/// went away with the old screen. Never steals focus from elsewhere, and never before the
/// shopper has acted (on first load it would scroll a host page that frames us).
pub fn focus_if_lost(element: &web_sys::HtmlElement) {
    if !USER_ACTED.with(Cell::get) {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let lost = match document.active_element() {
        None => true,
        Some(active) => document.body().is_some_and(|body| Object::is(&body, &active)),
    };
    if lost && document.has_focus().unwrap_or(false) {
        let _ = element.focus();
    }
}

/// Puts the focus in a field the shopper's last action opened or made ready (the barcode field:
/// a cashier's scanner types wherever the focus is). Like `focus_if_lost`, never before the
/// shopper has acted.
pub fn focus_field(element: &web_sys::HtmlElement) {
    if USER_ACTED.with(Cell::get) {
        let _ = element.focus();
    }
}

/// Sets the theme's custom properties on the widget's root element. The CSSOM is used rather
/// than a `style` attribute so a strict CSP (no inline styles) allows it.
pub fn apply_theme(root: &web_sys::Element, theme: &[(&'static str, String)]) {
    if let Some(element) = root.dyn_ref::<web_sys::HtmlElement>() {
        let style = element.style();
        for (property, value) in theme {
            let _ = style.set_property(property, value);
        }
    }
}
