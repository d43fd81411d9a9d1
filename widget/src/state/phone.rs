//! Paying by QR on the phone that shows the code. A phone cannot scan its own screen, so on a
//! phone the page hands the code to the wallet app on the same device, as Chinese checkouts do:
//! Alipay's and UnionPay's codes are links their apps open, and WeChat reads a code from a
//! picture (long-pressed inside WeChat, or saved and chosen from the album in its scanner).
//! Which of these a page offers depends on where it runs ([`Place`]) and on the wallet; the
//! picker leads with the wallets that work where it runs. All of it is decided here, natively
//! tested; `docs/phone.md` says where each rule comes from.

use super::{Offer, QrOption};
use crate::env::{InApp, encode_path_segment, safe_link};
use checkout_shared::api::Channel;

/// Where the page runs, as far as paying by QR goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Place {
    /// A computer (or anything with a fine pointer): the shopper scans the code with a phone.
    #[default]
    Desktop,
    /// A phone's (or tablet's) own browser.
    Phone,
    /// WeChat's built-in browser on a phone.
    InWechat,
    /// Alipay's built-in browser on a phone.
    InAlipay,
}

/// The widest screen, along its shorter side in CSS pixels, still taken for a handheld device:
/// phones and tablets in either orientation. A touch-only screen wider than this is a kiosk
/// or a monitor, whose shopper scans with a phone.
pub const HANDHELD_SHORT_SIDE: u32 = 1024;

impl Place {
    /// Where the page runs, from the primary pointer (`(pointer: coarse)`: a finger), the screen's
    /// shorter side in CSS pixels and the in-app browser the user agent names. The user agent
    /// alone does not decide: WeChat and Alipay have desktop apps with the same markers, and a
    /// desktop browser can claim to be anything.
    pub fn of(coarse_pointer: bool, screen_short_side: u32, in_app: Option<InApp>) -> Place {
        let handheld = coarse_pointer && screen_short_side > 0 && screen_short_side <= HANDHELD_SHORT_SIDE;
        match (handheld, in_app) {
            (false, _) => Place::Desktop,
            (true, None) => Place::Phone,
            (true, Some(InApp::Wechat)) => Place::InWechat,
            (true, Some(InApp::Alipay)) => Place::InAlipay,
        }
    }

    pub fn is_phone(self) -> bool {
        self != Place::Desktop
    }
}

/// What the QR screen offers beside the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalletAction {
    /// Nothing but the code, to scan with another device (a desktop, or a wallet this page has
    /// no way to hand the code to).
    Scan,
    /// A link that opens the wallet app with this code: the screen's primary button.
    Open { href: String },
    /// The code as an image WeChat's long-press "识别图中二维码" reads.
    LongPress,
    /// "保存二维码": the code saved as a picture, then chosen in WeChat's scanner from the album.
    Save,
    /// This in-app browser cannot reach the wallet (WeChat does not open Alipay): open the page
    /// in the phone's browser, or scan the code with another device.
    LeaveApp,
}

/// How well a wallet works where the page runs, best first: the picker's order on a phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ease {
    /// One tap (or one long-press) and the wallet shows the payment.
    Direct,
    /// Works with a few steps (save the picture, then the scanner's album).
    Steps,
    /// Needs another device, or leaving this app.
    Elsewhere,
}

/// How well `channel` works in `place`. On a desktop every wallet is the same: scan with a phone.
pub fn ease(place: Place, channel: &Channel) -> Ease {
    match (place, channel) {
        (Place::Desktop, _) => Ease::Direct,
        (Place::InWechat, Channel::WechatPay) => Ease::Direct,
        (Place::Phone | Place::InAlipay, Channel::WechatPay) => Ease::Steps,
        (Place::InWechat, Channel::Alipay) => Ease::Elsewhere,
        (Place::Phone | Place::InAlipay, Channel::Alipay) => Ease::Direct,
        (_, Channel::Unionpay) => Ease::Direct,
        (_, Channel::Unknown(_)) => Ease::Elsewhere,
    }
}

/// What the QR screen for `code` (a `channel` code) offers in `place`.
pub fn wallet_action(place: Place, channel: &Channel, code: &str) -> WalletAction {
    match (place, channel) {
        (Place::Desktop, _) | (_, Channel::Unknown(_)) => WalletAction::Scan,
        (Place::InWechat, Channel::WechatPay) => WalletAction::LongPress,
        (Place::Phone | Place::InAlipay, Channel::WechatPay) => WalletAction::Save,
        (Place::InWechat, Channel::Alipay) => WalletAction::LeaveApp,
        // Inside Alipay its own code is a page Alipay opens as the payment.
        (Place::InAlipay, Channel::Alipay) => match safe_link(code) {
            Some(link) => WalletAction::Open { href: link.to_owned() },
            None => WalletAction::Open { href: alipay_scan_link(code) },
        },
        (Place::Phone, Channel::Alipay) => WalletAction::Open { href: alipay_scan_link(code) },
        // A UnionPay code is a web link (`https://qr.95516.com/…`) that the 云闪付 app (or the
        // bank's page it opens) takes; anything else is not handed to the browser.
        (_, Channel::Unionpay) => match safe_link(code) {
            Some(link) => WalletAction::Open { href: link.to_owned() },
            None => WalletAction::Scan,
        },
    }
}

/// The Alipay app's scheme link that opens its scanner with `code` already read (its `saId` for
/// "scan", `10000007`, and the code percent-encoded in `qrcode`).
pub fn alipay_scan_link(code: &str) -> String {
    format!("alipays://platformapi/startapp?saId=10000007&qrcode={}", encode_path_segment(code))
}

/// The picker's wallets in the order that suits `place`: on a phone, those that work here first
/// (stable: the session's order among equals). `keep_order` is the merchant's setting to show
/// the session's order everywhere.
pub fn order_for(offer: &mut Offer, place: Place, keep_order: bool) {
    if keep_order {
        return;
    }
    // Three passes rather than `sort_by_key`: the standard library's stable sort, made for this
    // one type, would cost the widget more bytes than everything else on this screen.
    let mut ordered: Vec<QrOption> = Vec::with_capacity(offer.qr.len());
    for wanted in [Ease::Direct, Ease::Steps, Ease::Elsewhere] {
        ordered.extend(offer.qr.iter().filter(|o| ease(place, &o.choice.channel) == wanted).cloned());
    }
    offer.qr = ordered;
}

/// The file name of the saved picture: the checkout it pays (its session id), so a shopper who
/// saved several can tell them apart.
pub fn picture_name(session_id: &str) -> String {
    let name: String = session_id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    if name.is_empty() { "checkout-qr.png".to_owned() } else { format!("{name}.png") }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use checkout_shared::api::PaymentMethod;

    const ALIPAY: &str = "https://qr.alipay.com/bax03431ljhokirwl38f00a7";
    const WECHAT: &str = "weixin://wxpay/bizpayurl?pr=AbC1234";
    const UNIONPAY: &str = "https://qr.95516.com/00010000/01234567890123456789";

    #[test]
    fn a_phone_is_a_finger_on_a_small_screen_whatever_the_user_agent() {
        assert_eq!(Place::of(true, 390, None), Place::Phone);
        assert_eq!(Place::of(true, 820, None), Place::Phone, "a tablet cannot scan itself either");
        assert_eq!(Place::of(true, 390, Some(InApp::Wechat)), Place::InWechat);
        assert_eq!(Place::of(true, 390, Some(InApp::Alipay)), Place::InAlipay);
        // WeChat's and Alipay's desktop apps carry the same markers: a mouse means a desktop.
        assert_eq!(Place::of(false, 1080, Some(InApp::Wechat)), Place::Desktop);
        assert_eq!(Place::of(false, 390, None), Place::Desktop, "a narrow desktop window");
        assert_eq!(Place::of(true, 1440, None), Place::Desktop, "a touch monitor");
        assert_eq!(Place::of(true, 0, None), Place::Desktop, "no screen size known");
        assert!(!Place::Desktop.is_phone() && Place::InWechat.is_phone());
    }

    #[test]
    fn every_wallet_has_its_action_in_every_place() {
        use WalletAction::*;
        let open = |href: &str| Open { href: href.to_owned() };
        let alipay_app = alipay_scan_link(ALIPAY);
        let cases = [
            (Place::Desktop, Channel::Alipay, ALIPAY, Scan),
            (Place::Desktop, Channel::WechatPay, WECHAT, Scan),
            (Place::Desktop, Channel::Unionpay, UNIONPAY, Scan),
            (Place::Phone, Channel::Alipay, ALIPAY, open(&alipay_app)),
            (Place::Phone, Channel::WechatPay, WECHAT, Save),
            (Place::Phone, Channel::Unionpay, UNIONPAY, open(UNIONPAY)),
            (Place::InWechat, Channel::WechatPay, WECHAT, LongPress),
            (Place::InWechat, Channel::Alipay, ALIPAY, LeaveApp),
            (Place::InWechat, Channel::Unionpay, UNIONPAY, open(UNIONPAY)),
            (Place::InAlipay, Channel::Alipay, ALIPAY, open(ALIPAY)),
            (Place::InAlipay, Channel::WechatPay, WECHAT, Save),
            (Place::InAlipay, Channel::Unionpay, UNIONPAY, open(UNIONPAY)),
            (Place::Phone, Channel::Unknown("paypal".into()), "https://x", Scan),
        ];
        for (place, channel, code, want) in cases {
            assert_eq!(wallet_action(place, &channel, code), want, "{place:?} {channel:?}");
        }
    }

    #[test]
    fn only_web_links_are_opened_as_they_are() {
        // A code that is not an http(s) link is never put in an `href` as it is.
        assert_eq!(
            wallet_action(Place::Phone, &Channel::Unionpay, "javascript:alert(1)"),
            WalletAction::Scan
        );
        let odd = "javascript:alert(1)";
        assert_eq!(
            wallet_action(Place::InAlipay, &Channel::Alipay, odd),
            WalletAction::Open {
                href: "alipays://platformapi/startapp?saId=10000007&qrcode=javascript%3Aalert%281%29".into()
            }
        );
    }

    #[test]
    fn the_alipay_link_carries_exactly_the_code() {
        let link = alipay_scan_link(ALIPAY);
        assert_eq!(
            link,
            "alipays://platformapi/startapp?saId=10000007&qrcode=https%3A%2F%2Fqr.alipay.com%2Fbax03431ljhokirwl38f00a7"
        );
        let with_query = alipay_scan_link("https://qr.alipay.com/x?a=1&b=2 3");
        assert!(
            with_query.ends_with("qrcode=https%3A%2F%2Fqr.alipay.com%2Fx%3Fa%3D1%26b%3D2%203"),
            "{with_query}"
        );
        let encoded = with_query.split("qrcode=").nth(1).unwrap();
        assert_eq!(
            crate::env::query_param(&format!("?q={encoded}"), "q").unwrap(),
            "https://qr.alipay.com/x?a=1&b=2 3"
        );
    }

    fn offer() -> Offer {
        Offer::of(&[PaymentMethod::PayzeroQr, PaymentMethod::PayzeroCard])
    }

    fn channels(offer: &Offer) -> Vec<Channel> {
        offer.qr.iter().map(|o| o.choice.channel.clone()).collect()
    }

    #[test]
    fn on_a_phone_the_picker_leads_with_what_works_here() {
        let session = channels(&offer());
        assert_eq!(session, [Channel::WechatPay, Channel::Alipay, Channel::Unionpay]);
        let ordered = |place, keep| {
            let mut offer = offer();
            order_for(&mut offer, place, keep);
            assert!(offer.card, "the card stays offered");
            channels(&offer)
        };
        assert_eq!(ordered(Place::Desktop, false), session, "desktops keep today's page");
        assert_eq!(ordered(Place::Phone, false), [Channel::Alipay, Channel::Unionpay, Channel::WechatPay]);
        assert_eq!(ordered(Place::InAlipay, false), [Channel::Alipay, Channel::Unionpay, Channel::WechatPay]);
        assert_eq!(ordered(Place::InWechat, false), [Channel::WechatPay, Channel::Unionpay, Channel::Alipay]);
        assert_eq!(ordered(Place::Phone, true), session, "the merchant's setting keeps the session's order");
    }

    #[test]
    fn the_picture_is_named_after_the_checkout() {
        assert_eq!(picture_name("cs_0123456789abcdef01234567"), "cs_0123456789abcdef01234567.png");
        assert_eq!(picture_name("../x"), "x.png");
        assert_eq!(picture_name(""), "checkout-qr.png");
    }
}
