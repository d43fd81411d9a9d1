//! Every string the shopper reads, in zh-CN (the default) and English, plus the few formatters
//! (amounts, countdowns) whose output is text on screen.

use crate::state::UiError;
use checkout_shared::Fen;
use checkout_shared::api::{ErrorCode, Locale, SessionStatus};
use checkout_shared::payzero::{Psp, QrCodeType};

/// The language the widget speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The session's locale as chosen by the merchant. Unknown locales fall back to Chinese,
    /// the language every shopper of these gateways can be assumed to read.
    pub fn from_locale(locale: &Locale) -> Lang {
        match locale {
            Locale::En => Lang::En,
            Locale::ZhCn | Locale::Unknown(_) => Lang::Zh,
        }
    }

    /// A `?lang=` value from the page URL; anything unrecognised is ignored rather than guessed.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag == "en" || tag.starts_with("en-") {
            Some(Lang::En)
        } else if tag == "zh" || tag.starts_with("zh-") {
            Some(Lang::Zh)
        } else {
            None
        }
    }

    /// The BCP 47 tag for the `lang` attribute, so screen readers pick the right voice.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// A fixed UI string. Strings with values in them are built by the functions below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg {
    Loading,
    ChooseMethod,
    PayAmount,
    CreatingQr,
    ScanHint,
    QrLabel,
    QrValidFor,
    QrExpired,
    RefreshQr,
    SwitchChannel,
    WaitingForPayment,
    ProcessedBy,
    TestMode,
    Simulate,
    Simulating,
    SimulateSent,
    Paid,
    PaidThanks,
    ReturnToMerchant,
    Expired,
    ExpiredBody,
    Canceled,
    CanceledBody,
    Failed,
    FailedBody,
    Closed,
    ClosedBody,
    Retry,
    Dismiss,
    NoMethod,
    InWechat,
    InAlipay,
    InAppOpenBrowser,
    InAppScreenshot,
    ShowQrAnyway,
    StatusPrefix,
    StatusAwaiting,
    StatusQrExpired,
    StatusPaid,
    StatusExpired,
    StatusCanceled,
    StatusFailed,
    StatusClosed,
}

impl Msg {
    /// Every message, so a test can check that none is missing a translation.
    pub const ALL: &'static [Msg] = &[
        Msg::Loading,
        Msg::ChooseMethod,
        Msg::PayAmount,
        Msg::CreatingQr,
        Msg::ScanHint,
        Msg::QrLabel,
        Msg::QrValidFor,
        Msg::QrExpired,
        Msg::RefreshQr,
        Msg::SwitchChannel,
        Msg::WaitingForPayment,
        Msg::ProcessedBy,
        Msg::TestMode,
        Msg::Simulate,
        Msg::Simulating,
        Msg::SimulateSent,
        Msg::Paid,
        Msg::PaidThanks,
        Msg::ReturnToMerchant,
        Msg::Expired,
        Msg::ExpiredBody,
        Msg::Canceled,
        Msg::CanceledBody,
        Msg::Failed,
        Msg::FailedBody,
        Msg::Closed,
        Msg::ClosedBody,
        Msg::Retry,
        Msg::Dismiss,
        Msg::NoMethod,
        Msg::InWechat,
        Msg::InAlipay,
        Msg::InAppOpenBrowser,
        Msg::InAppScreenshot,
        Msg::ShowQrAnyway,
        Msg::StatusPrefix,
        Msg::StatusAwaiting,
        Msg::StatusQrExpired,
        Msg::StatusPaid,
        Msg::StatusExpired,
        Msg::StatusCanceled,
        Msg::StatusFailed,
        Msg::StatusClosed,
    ];
}

/// The text of a fixed message.
pub fn t(lang: Lang, msg: Msg) -> &'static str {
    let (zh, en) = match msg {
        Msg::Loading => ("正在加载…", "Loading…"),
        Msg::ChooseMethod => ("请选择支付方式", "Choose how to pay"),
        Msg::PayAmount => ("应付金额", "Amount due"),
        Msg::CreatingQr => ("正在生成付款码…", "Creating your payment code…"),
        Msg::ScanHint => (
            "打开手机应用的「扫一扫」，对准二维码完成支付。",
            "Open the app's scanner on your phone and point it at the code.",
        ),
        Msg::QrLabel => ("付款二维码", "Payment QR code"),
        Msg::QrValidFor => ("二维码有效期", "Code valid for"),
        Msg::QrExpired => ("二维码已失效，请刷新", "This code has expired. Refresh it to continue."),
        Msg::RefreshQr => ("刷新二维码", "Refresh code"),
        Msg::SwitchChannel => ("更换支付方式", "Use another payment method"),
        Msg::WaitingForPayment => ("等待付款…", "Waiting for payment…"),
        Msg::ProcessedBy => ("收款机构：", "Processed by "),
        Msg::TestMode => ("测试模式：不会产生真实扣款", "Test mode: no real money moves"),
        Msg::Simulate => ("模拟支付（测试模式）", "Simulate payment (test mode)"),
        Msg::Simulating => ("正在模拟支付…", "Simulating payment…"),
        Msg::SimulateSent => ("已模拟支付，等待确认…", "Payment simulated, waiting for confirmation…"),
        Msg::Paid => ("支付成功", "Payment successful"),
        Msg::PaidThanks => {
            ("感谢您的购买，商户已收到付款。", "Thank you. The merchant has received your payment.")
        }
        Msg::ReturnToMerchant => ("返回商户", "Return to merchant"),
        Msg::Expired => ("订单已过期", "This checkout has expired"),
        Msg::ExpiredBody => (
            "付款时间已过。如仍需购买，请返回商户重新下单。",
            "The time to pay has run out. Return to the shop to start again.",
        ),
        Msg::Canceled => ("订单已取消", "This checkout was canceled"),
        Msg::CanceledBody => {
            ("商户已取消本次付款，不会扣款。", "The merchant canceled this payment. You were not charged.")
        }
        Msg::Failed => ("支付失败", "Payment failed"),
        Msg::FailedBody => (
            "本次付款未成功，您未被扣款。请返回商户重试。",
            "The payment did not go through and you were not charged. Return to the shop to try again.",
        ),
        Msg::Closed => ("订单已关闭", "This checkout is closed"),
        Msg::ClosedBody => ("本次付款已无法继续。", "This payment can no longer be completed."),
        Msg::Retry => ("重试", "Try again"),
        Msg::Dismiss => ("关闭提示", "Dismiss"),
        Msg::NoMethod => (
            "此订单暂不支持可用的支付方式，请联系商户。",
            "None of this order's payment methods is available here. Please contact the merchant.",
        ),
        Msg::InWechat => ("您正在微信内打开此页面", "You are inside WeChat"),
        Msg::InAlipay => ("您正在支付宝内打开此页面", "You are inside Alipay"),
        Msg::InAppOpenBrowser => (
            "同一部手机无法扫描屏幕上的二维码。请点击右上角「···」，选择「在浏览器打开」后继续付款；或在另一台设备上打开本页扫码。",
            "A phone cannot scan a code on its own screen. Tap \"···\" at the top right and choose \"Open in browser\", or open this page on another device and scan it there.",
        ),
        Msg::InAppScreenshot => (
            "也可以截屏保存二维码，再在付款应用的「扫一扫」中从相册选取。",
            "You can also take a screenshot of the code and pick it from your photos in the paying app's scanner.",
        ),
        Msg::ShowQrAnyway => ("仍然显示二维码", "Show the code anyway"),
        Msg::StatusPrefix => ("状态：", "Status: "),
        Msg::StatusAwaiting => ("待支付", "awaiting payment"),
        Msg::StatusQrExpired => ("二维码已失效", "code expired"),
        Msg::StatusPaid => ("已支付", "paid"),
        Msg::StatusExpired => ("已过期", "expired"),
        Msg::StatusCanceled => ("已取消", "canceled"),
        Msg::StatusFailed => ("支付失败", "failed"),
        Msg::StatusClosed => ("已关闭", "closed"),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// The wallet's name as shoppers know it. An unknown channel shows its wire name: better than
/// nothing, and it can only come from a newer edge.
pub fn channel_name(lang: Lang, channel: &QrCodeType) -> &str {
    match (channel, lang) {
        (QrCodeType::Wechatpay, Lang::Zh) => "微信支付",
        (QrCodeType::Wechatpay, Lang::En) => "WeChat Pay",
        (QrCodeType::Alipay, Lang::Zh) => "支付宝",
        (QrCodeType::Alipay, Lang::En) => "Alipay",
        (QrCodeType::Unionpay, Lang::Zh) => "云闪付 / 银联",
        (QrCodeType::Unionpay, Lang::En) => "UnionPay",
        (QrCodeType::Unknown(name), _) => name,
    }
}

/// The heading over a QR: which app to scan it with.
pub fn scan_instruction(lang: Lang, channel: &QrCodeType) -> String {
    match (channel, lang) {
        (QrCodeType::Wechatpay, Lang::Zh) => "请使用微信扫码支付".into(),
        (QrCodeType::Wechatpay, Lang::En) => "Scan with WeChat to pay".into(),
        (QrCodeType::Alipay, Lang::Zh) => "请使用支付宝扫码支付".into(),
        (QrCodeType::Alipay, Lang::En) => "Scan with Alipay to pay".into(),
        (QrCodeType::Unionpay, Lang::Zh) => "请使用云闪付或银行App扫码支付".into(),
        (QrCodeType::Unionpay, Lang::En) => "Scan with UnionPay or your bank's app to pay".into(),
        (QrCodeType::Unknown(name), Lang::Zh) => format!("请使用{name}扫码支付"),
        (QrCodeType::Unknown(name), Lang::En) => format!("Scan with {name} to pay"),
    }
}

/// The payment company behind the QR (Payzero spec A.4): Chinese rules want the shopper to see
/// who collects the money.
pub fn psp_name(lang: Lang, psp: &Psp) -> &str {
    match (psp, lang) {
        (Psp::Allinpay, Lang::Zh) => "通联支付",
        (Psp::Allinpay, Lang::En) => "Allinpay",
        (Psp::Easypay, Lang::Zh) => "易生支付",
        (Psp::Easypay, Lang::En) => "Easypay",
        (Psp::Lycheepay, Lang::Zh) => "快付通",
        (Psp::Lycheepay, Lang::En) => "LycheePay",
        (Psp::Unknown(name), _) => name,
    }
}

/// The heading of a closed session's screen and its explanation.
pub fn closed_texts(lang: Lang, status: &SessionStatus) -> (&'static str, &'static str) {
    let (title, body) = match status {
        SessionStatus::Expired => (Msg::Expired, Msg::ExpiredBody),
        SessionStatus::Canceled => (Msg::Canceled, Msg::CanceledBody),
        SessionStatus::Failed => (Msg::Failed, Msg::FailedBody),
        SessionStatus::Paid | SessionStatus::Open | SessionStatus::Unknown(_) => {
            (Msg::Closed, Msg::ClosedBody)
        }
    };
    (t(lang, title), t(lang, body))
}

/// The session status as one word for the status line.
pub fn status_word(lang: Lang, status: &SessionStatus) -> &'static str {
    let msg = match status {
        SessionStatus::Open => Msg::StatusAwaiting,
        SessionStatus::Paid => Msg::StatusPaid,
        SessionStatus::Expired => Msg::StatusExpired,
        SessionStatus::Canceled => Msg::StatusCanceled,
        SessionStatus::Failed => Msg::StatusFailed,
        SessionStatus::Unknown(_) => Msg::StatusClosed,
    };
    t(lang, msg)
}

/// What to tell the shopper about a failure: what happened and what they can do, never the
/// edge's internal message (which may name upstream details).
pub fn error_text(lang: Lang, error: &UiError) -> &'static str {
    let (zh, en) = match error {
        UiError::Network => {
            ("网络连接异常，请检查网络后重试。", "Network problem. Check your connection and try again.")
        }
        UiError::QrEncode => (
            "无法生成二维码，请更换支付方式。",
            "This payment code cannot be displayed. Please choose another method.",
        ),
        UiError::Protocol => {
            ("服务暂时不可用，请稍后重试。", "The service is temporarily unavailable. Please try again.")
        }
        UiError::Api(code) => match code {
            ErrorCode::NotFound => (
                "支付链接无效或已失效，请返回商户重新下单。",
                "This payment link is not valid. Return to the shop and start again.",
            ),
            ErrorCode::SessionClosed => {
                ("订单已关闭，无法继续付款。", "This checkout is closed and can no longer be paid.")
            }
            ErrorCode::MethodNotSupported => (
                "该支付方式暂不可用，请选择其他方式。",
                "This payment method is not available. Please choose another one.",
            ),
            ErrorCode::RateLimited => {
                ("操作过于频繁，请稍候再试。", "Too many attempts. Please wait a moment and try again.")
            }
            ErrorCode::UpstreamError => (
                "支付通道暂时繁忙，请稍后重试或更换支付方式。",
                "The payment provider is busy. Try again shortly or choose another method.",
            ),
            ErrorCode::UpstreamRejected => (
                "支付机构拒绝了本次请求，请更换支付方式或联系商户。",
                "The payment provider declined this request. Choose another method or contact the merchant.",
            ),
            ErrorCode::NotAvailable => ("该功能仅在测试模式下可用。", "This is only available in test mode."),
            ErrorCode::InvalidJson
            | ErrorCode::InvalidRequest
            | ErrorCode::PayloadTooLarge
            | ErrorCode::Unauthorized
            | ErrorCode::MethodNotAllowed
            | ErrorCode::InvalidSignature
            | ErrorCode::Internal
            | ErrorCode::Unknown(_) => {
                ("出现了问题，请稍后重试。", "Something went wrong. Please try again.")
            }
        },
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// `¥12.34`: the shopper always sees yuan, computed from fen without floats.
pub fn amount(fen: Fen) -> String {
    format!("¥{}", fen.to_yuan_string())
}

/// `mm:ss`, minutes uncapped (a 30-minute code starts at `30:00`).
pub fn countdown(secs: u64) -> String {
    format!("{:02}:{:02}", secs / 60, secs % 60)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages() {
        for &msg in Msg::ALL {
            let zh = t(Lang::Zh, msg);
            let en = t(Lang::En, msg);
            assert!(!zh.is_empty() && !en.is_empty(), "{msg:?}");
            assert_ne!(zh, en, "{msg:?} is not translated");
            let has_cjk = en
                .chars()
                .any(|c| ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c));
            assert!(!has_cjk, "{msg:?}: English text has Chinese in it: {en}");
        }
    }

    #[test]
    fn every_error_code_has_a_human_message_in_both_languages() {
        for code in ErrorCode::KNOWN.iter().cloned().chain([ErrorCode::Unknown("teapot".into())]) {
            let e = UiError::Api(code.clone());
            assert_ne!(error_text(Lang::Zh, &e), error_text(Lang::En, &e), "{code:?}");
            assert!(!error_text(Lang::En, &e).contains("teapot"));
        }
    }

    #[test]
    fn amounts_are_yuan_from_fen() {
        assert_eq!(amount(Fen(1234)), "¥12.34");
        assert_eq!(amount(Fen(1)), "¥0.01");
        assert_eq!(amount(Fen(100_000)), "¥1000.00");
    }

    #[test]
    fn countdown_is_minutes_and_seconds() {
        assert_eq!(countdown(0), "00:00");
        assert_eq!(countdown(59), "00:59");
        assert_eq!(countdown(299), "04:59");
        assert_eq!(countdown(1800), "30:00");
        assert_eq!(countdown(6000), "100:00");
    }

    #[test]
    fn language_comes_from_the_locale_or_a_url_tag() {
        assert_eq!(Lang::from_locale(&Locale::En), Lang::En);
        assert_eq!(Lang::from_locale(&Locale::Unknown("fr".into())), Lang::Zh);
        assert_eq!(Lang::from_tag("en"), Some(Lang::En));
        assert_eq!(Lang::from_tag("EN-us"), Some(Lang::En));
        assert_eq!(Lang::from_tag("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::from_tag("fr"), None);
    }

    #[test]
    fn wallets_and_psps_have_their_chinese_names() {
        assert_eq!(channel_name(Lang::Zh, &QrCodeType::Wechatpay), "微信支付");
        assert_eq!(channel_name(Lang::Zh, &QrCodeType::Alipay), "支付宝");
        assert!(channel_name(Lang::Zh, &QrCodeType::Unionpay).contains("云闪付"));
        assert_eq!(psp_name(Lang::Zh, &Psp::Allinpay), "通联支付");
        assert_eq!(psp_name(Lang::Zh, &Psp::Easypay), "易生支付");
        assert_eq!(psp_name(Lang::Zh, &Psp::Lycheepay), "快付通");
        assert_eq!(psp_name(Lang::En, &Psp::Unknown("NEWPAY".into())), "NEWPAY");
    }
}
