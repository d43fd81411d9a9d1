//! Every string the shopper reads, in zh-CN (the default) and English, plus the few formatters
//! (amounts, countdowns) whose output is text on screen.

use crate::state::{BarcodeNotice, CodeProblem, QrChoice, UiError};
use checkout_shared::Fen;
use checkout_shared::api::{Channel, ErrorCode, Locale, PaymentMethod, QrView, SessionStatus};
use checkout_shared::payzero::Psp;

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
    Attention,
    AttentionBody,
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
    StatusAttention,
    StatusClosed,
    GroupScan,
    GroupShowCode,
    PayWithCode,
    BarcodeTitle,
    BarcodeHint,
    BarcodeLabel,
    BarcodeSubmit,
    BarcodeProcessing,
    BarcodeTimeLeft,
    BarcodeConfirmHint,
    CodeNotDigits,
    CodeLength,
    CodeRejected,
    BarcodeBusy,
    BarcodeTimedOut,
    DeclineExpired,
    DeclineFunds,
    DeclineLimit,
    DeclineTradeFailed,
    DeclineInvalidCode,
    DeclineNotFound,
    DeclineCanceled,
    Declined,
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
        Msg::Attention,
        Msg::AttentionBody,
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
        Msg::StatusAttention,
        Msg::StatusClosed,
        Msg::GroupScan,
        Msg::GroupShowCode,
        Msg::PayWithCode,
        Msg::BarcodeTitle,
        Msg::BarcodeHint,
        Msg::BarcodeLabel,
        Msg::BarcodeSubmit,
        Msg::BarcodeProcessing,
        Msg::BarcodeTimeLeft,
        Msg::BarcodeConfirmHint,
        Msg::CodeNotDigits,
        Msg::CodeLength,
        Msg::CodeRejected,
        Msg::BarcodeBusy,
        Msg::BarcodeTimedOut,
        Msg::DeclineExpired,
        Msg::DeclineFunds,
        Msg::DeclineLimit,
        Msg::DeclineTradeFailed,
        Msg::DeclineInvalidCode,
        Msg::DeclineNotFound,
        Msg::DeclineCanceled,
        Msg::Declined,
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
        Msg::Attention => ("请联系商户", "Please contact the merchant"),
        Msg::AttentionBody => (
            "这笔付款需要商户核实后处理，请联系商户，无需再次付款。",
            "This payment needs to be checked by the shop. Please contact the merchant; there is no need to pay again.",
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
        Msg::StatusAttention => ("待商户核实", "to be checked by the shop"),
        Msg::StatusClosed => ("已关闭", "closed"),
        Msg::GroupScan => ("扫码支付", "Scan to pay"),
        Msg::GroupShowCode => ("出示付款码", "Show a payment code to the cashier"),
        Msg::PayWithCode => ("付款码支付", "Pay with a payment code"),
        Msg::BarcodeTitle => ("请出示付款码", "Show your payment code"),
        Msg::BarcodeHint => (
            "顾客打开微信或支付宝的「付款码」，收银员用扫码枪扫描；也可输入付款码下方的数字后按回车。",
            "The shopper opens the payment code in WeChat or Alipay and the cashier scans it, or types its digits and presses Enter.",
        ),
        Msg::BarcodeLabel => ("付款码", "Payment code"),
        Msg::BarcodeSubmit => ("收款", "Take payment"),
        Msg::BarcodeProcessing => ("正在收款…", "Processing…"),
        Msg::BarcodeTimeLeft => ("剩余确认时间", "Time left to confirm"),
        Msg::BarcodeConfirmHint => (
            "如顾客手机提示，请在手机上输入密码确认付款。",
            "If the shopper's phone asks, they confirm the payment there.",
        ),
        Msg::CodeNotDigits => ("付款码只包含数字。", "A payment code has digits only."),
        Msg::CodeLength => ("付款码应为 16–24 位数字。", "A payment code has 16 to 24 digits."),
        Msg::CodeRejected => ("付款码无效，请重新扫描。", "That is not a valid payment code. Scan it again."),
        Msg::BarcodeBusy => (
            "已有一笔付款正在处理，或本订单尝试次数已达上限。请稍候再试。",
            "Another payment is in progress, or this checkout has had too many tries. Wait a moment and try again.",
        ),
        Msg::BarcodeTimedOut => (
            "付款未能及时确认，已撤销，未扣款。请重新扫码。",
            "Not confirmed in time: the payment was canceled and no money was taken. Scan again.",
        ),
        Msg::DeclineExpired => (
            "付款码已过期，请让顾客刷新付款码后重新扫描。",
            "The payment code has expired. Ask the shopper to refresh it and scan again.",
        ),
        Msg::DeclineFunds => (
            "余额不足，未扣款。请让顾客更换付款方式后重新扫描。",
            "Insufficient funds; no money was taken. Ask the shopper to choose another way to pay and scan again.",
        ),
        Msg::DeclineLimit => (
            "超出顾客的付款限额，未扣款。请让顾客更换付款方式。",
            "The shopper's payment limit is reached; no money was taken. Ask them to pay another way.",
        ),
        Msg::DeclineTradeFailed => {
            ("交易失败，未扣款。请重新扫码。", "The payment failed and no money was taken. Scan again.")
        }
        Msg::DeclineInvalidCode => {
            ("付款码无效，未扣款。请重新扫描。", "The payment code is not valid. Scan it again.")
        }
        Msg::DeclineNotFound => (
            "未找到这笔付款，未扣款。请重新扫码。",
            "The payment was not found and no money was taken. Scan again.",
        ),
        Msg::DeclineCanceled => ("付款已取消，未扣款。", "The payment was canceled; no money was taken."),
        Msg::Declined => ("付款被拒绝，未扣款。", "The payment was declined; no money was taken."),
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// The wallet's name as shoppers know it. An unknown channel shows its wire name: better than
/// nothing, and it can only come from a newer edge.
pub fn channel_name(lang: Lang, channel: &Channel) -> &str {
    match (channel, lang) {
        (Channel::WechatPay, Lang::Zh) => "微信支付",
        (Channel::WechatPay, Lang::En) => "WeChat Pay",
        (Channel::Alipay, Lang::Zh) => "支付宝",
        (Channel::Alipay, Lang::En) => "Alipay",
        (Channel::Unionpay, Lang::Zh) => "云闪付 / 银联",
        (Channel::Unionpay, Lang::En) => "UnionPay",
        (Channel::Unknown(name), _) => name,
    }
}

/// The gateway's name, for labels that must tell two gateways apart and for the "processed by"
/// line when the gateway names no payment company of its own.
pub fn gateway_name(lang: Lang, method: &PaymentMethod) -> &str {
    match (method, lang) {
        (PaymentMethod::PayzeroQr | PaymentMethod::PayzeroCard, _) => "Payzero",
        (PaymentMethod::ShouqianbaQr | PaymentMethod::ShouqianbaBarcode, Lang::Zh) => "收钱吧",
        (PaymentMethod::ShouqianbaQr | PaymentMethod::ShouqianbaBarcode, Lang::En) => "Shouqianba",
        (PaymentMethod::EzrBarcode, _) => "EZR",
        (PaymentMethod::Unknown(name), _) => name,
    }
}

/// A wallet button's label: the wallet, and the gateway too when another gateway of the session
/// offers the same wallet (`微信支付 · 收钱吧`).
pub fn qr_option_label(lang: Lang, choice: &QrChoice, shared: bool) -> String {
    let wallet = channel_name(lang, &choice.channel);
    if shared { format!("{wallet} · {}", gateway_name(lang, &choice.method)) } else { wallet.to_owned() }
}

/// A barcode button's label, naming the gateway when the session offers more than one.
pub fn barcode_option_label(lang: Lang, method: &PaymentMethod, several: bool) -> String {
    let label = t(lang, Msg::PayWithCode);
    if several { format!("{label} · {}", gateway_name(lang, method)) } else { label.to_owned() }
}

/// The heading over a QR: which app to scan it with.
pub fn scan_instruction(lang: Lang, channel: &Channel) -> String {
    match (channel, lang) {
        (Channel::WechatPay, Lang::Zh) => "请使用微信扫码支付".into(),
        (Channel::WechatPay, Lang::En) => "Scan with WeChat to pay".into(),
        (Channel::Alipay, Lang::Zh) => "请使用支付宝扫码支付".into(),
        (Channel::Alipay, Lang::En) => "Scan with Alipay to pay".into(),
        (Channel::Unionpay, Lang::Zh) => "请使用云闪付或银行App扫码支付".into(),
        (Channel::Unionpay, Lang::En) => "Scan with UnionPay or your bank's app to pay".into(),
        (Channel::Unknown(name), Lang::Zh) => format!("请使用{name}扫码支付"),
        (Channel::Unknown(name), Lang::En) => format!("Scan with {name} to pay"),
    }
}

/// The payment company behind a Payzero QR (spec A.4): Chinese rules want the shopper to see
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

/// Who collects the money for a QR: the payment company the gateway names (Payzero's PSP), or
/// else the gateway itself (Shouqianba collects for the merchant).
pub fn collector_name(lang: Lang, qr: &QrView) -> String {
    match qr.provider.as_deref().map(str::parse::<Psp>) {
        Some(Ok(psp)) => psp_name(lang, &psp).to_owned(),
        _ => gateway_name(lang, &qr.method).to_owned(),
    }
}

/// What a gateway's decline code means for the cashier, in words. The codes are the ones the
/// gateways document for B-scan-C payments (Shouqianba, and EZR's spelling where it differs);
/// any other gets the generic message with the code, so support can still look it up.
pub fn decline_text(lang: Lang, reason: Option<&str>) -> String {
    let Some(code) = reason.map(str::trim).filter(|c| !c.is_empty()) else {
        return t(lang, Msg::Declined).to_owned();
    };
    let msg = match code.to_ascii_uppercase().as_str() {
        "EXPIRED_BARCODE" | "AUTHCODE_EXPIRE" | "AUTHCODEEXPIRE" => Msg::DeclineExpired,
        "INSUFFICIENT_FUND" | "NOTENOUGH" => Msg::DeclineFunds,
        "BUYER_OVER_DAILY_LIMIT" | "BUYER_OVER_TRANSACTION_LIMIT" => Msg::DeclineLimit,
        "TRADE_FAILED" | "TRADE_ERROR" => Msg::DeclineTradeFailed,
        "INVALID_BARCODE" | "AUTH_CODE_INVALID" => Msg::DeclineInvalidCode,
        "ORDER_NOT_EXISTS" => Msg::DeclineNotFound,
        // EZR left the payment unpaid (NOTPAY) and the edge canceled it at once.
        "CANCELED" | "NOTPAY" => Msg::DeclineCanceled,
        _ => {
            let code: String = code.chars().take(64).collect();
            return match lang {
                Lang::Zh => format!("付款被拒绝（{code}），未扣款。请重新扫码或更换付款方式。"),
                Lang::En => {
                    format!(
                        "The payment was declined ({code}); no money was taken. Scan again or pay another way."
                    )
                }
            };
        }
    };
    t(lang, msg).to_owned()
}

/// The message next to the barcode field.
pub fn barcode_notice_text(lang: Lang, notice: &BarcodeNotice) -> String {
    let msg = match notice {
        BarcodeNotice::Invalid(CodeProblem::NotDigits) => Msg::CodeNotDigits,
        BarcodeNotice::Invalid(CodeProblem::Length) => Msg::CodeLength,
        BarcodeNotice::Declined(reason) => return decline_text(lang, reason.as_deref()),
        BarcodeNotice::TimedOut => Msg::BarcodeTimedOut,
        BarcodeNotice::Refused(UiError::Api(ErrorCode::InvalidRequest)) => Msg::CodeRejected,
        BarcodeNotice::Refused(UiError::Api(ErrorCode::RateLimited)) => Msg::BarcodeBusy,
        BarcodeNotice::Refused(other) => return error_text(lang, other).to_owned(),
    };
    t(lang, msg).to_owned()
}

/// The heading of a closed session's screen and its explanation. "Requires attention" is not a
/// failure to the shopper: money may have moved, and the shop, not a retry, sorts it out.
pub fn closed_texts(lang: Lang, status: &SessionStatus) -> (&'static str, &'static str) {
    let (title, body) = match status {
        SessionStatus::Expired => (Msg::Expired, Msg::ExpiredBody),
        SessionStatus::Canceled => (Msg::Canceled, Msg::CanceledBody),
        SessionStatus::RequiresAttention => (Msg::Attention, Msg::AttentionBody),
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
        SessionStatus::RequiresAttention => Msg::StatusAttention,
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
        assert_eq!(channel_name(Lang::Zh, &Channel::WechatPay), "微信支付");
        assert_eq!(channel_name(Lang::Zh, &Channel::Alipay), "支付宝");
        assert!(channel_name(Lang::Zh, &Channel::Unionpay).contains("云闪付"));
        assert_eq!(psp_name(Lang::Zh, &Psp::Allinpay), "通联支付");
        assert_eq!(psp_name(Lang::Zh, &Psp::Easypay), "易生支付");
        assert_eq!(psp_name(Lang::Zh, &Psp::Lycheepay), "快付通");
        assert_eq!(psp_name(Lang::En, &Psp::Unknown("NEWPAY".into())), "NEWPAY");
    }

    #[test]
    fn the_collector_is_the_psp_when_named_and_else_the_gateway() {
        let mut qr = QrView {
            method: PaymentMethod::PayzeroQr,
            channel: Channel::Alipay,
            qr_content: "x".into(),
            expires_at: 1,
            provider: Some("EASYPAY".into()),
        };
        assert_eq!(collector_name(Lang::Zh, &qr), "易生支付");
        qr.provider = Some("NEWPAY".into());
        assert_eq!(collector_name(Lang::En, &qr), "NEWPAY");
        qr.method = PaymentMethod::ShouqianbaQr;
        qr.provider = None;
        assert_eq!(collector_name(Lang::Zh, &qr), "收钱吧");
        assert_eq!(collector_name(Lang::En, &qr), "Shouqianba");
    }

    #[test]
    fn a_shared_wallet_is_labelled_with_its_gateway() {
        let sqb = QrChoice { method: PaymentMethod::ShouqianbaQr, channel: Channel::WechatPay };
        assert_eq!(qr_option_label(Lang::Zh, &sqb, true), "微信支付 · 收钱吧");
        assert_eq!(qr_option_label(Lang::Zh, &sqb, false), "微信支付");
        let pz = QrChoice { method: PaymentMethod::PayzeroQr, channel: Channel::WechatPay };
        assert_eq!(qr_option_label(Lang::En, &pz, true), "WeChat Pay · Payzero");
        assert_eq!(barcode_option_label(Lang::Zh, &PaymentMethod::EzrBarcode, true), "付款码支付 · EZR");
        assert_eq!(
            barcode_option_label(Lang::En, &PaymentMethod::EzrBarcode, false),
            "Pay with a payment code"
        );
    }

    #[test]
    fn common_decline_codes_are_explained_and_others_named() {
        let cases = [
            ("EXPIRED_BARCODE", Msg::DeclineExpired),
            ("AUTHCODE_EXPIRE", Msg::DeclineExpired),
            ("INSUFFICIENT_FUND", Msg::DeclineFunds),
            ("NOTENOUGH", Msg::DeclineFunds),
            ("BUYER_OVER_DAILY_LIMIT", Msg::DeclineLimit),
            ("TRADE_FAILED", Msg::DeclineTradeFailed),
            ("INVALID_BARCODE", Msg::DeclineInvalidCode),
            ("ORDER_NOT_EXISTS", Msg::DeclineNotFound),
            ("CANCELED", Msg::DeclineCanceled),
        ];
        for (code, msg) in cases {
            for lang in [Lang::Zh, Lang::En] {
                assert_eq!(decline_text(lang, Some(code)), t(lang, msg), "{code}");
            }
        }
        assert!(decline_text(Lang::Zh, Some("NOTENOUGH")).contains("余额不足"));
        let other = decline_text(Lang::En, Some("RISK_CONTROL"));
        assert!(other.contains("declined") && other.contains("RISK_CONTROL"), "{other}");
        assert!(decline_text(Lang::Zh, Some("RISK_CONTROL")).contains("RISK_CONTROL"));
        assert_eq!(decline_text(Lang::En, None), t(Lang::En, Msg::Declined));
    }

    #[test]
    fn barcode_notices_have_words_in_both_languages() {
        let notices = [
            BarcodeNotice::Invalid(CodeProblem::NotDigits),
            BarcodeNotice::Invalid(CodeProblem::Length),
            BarcodeNotice::Refused(UiError::Api(ErrorCode::InvalidRequest)),
            BarcodeNotice::Refused(UiError::Api(ErrorCode::RateLimited)),
            BarcodeNotice::Refused(UiError::Api(ErrorCode::SessionClosed)),
            BarcodeNotice::Refused(UiError::Network),
            BarcodeNotice::Declined(Some("NOTENOUGH".into())),
            BarcodeNotice::Declined(None),
            BarcodeNotice::TimedOut,
        ];
        for notice in notices {
            let (zh, en) = (barcode_notice_text(Lang::Zh, &notice), barcode_notice_text(Lang::En, &notice));
            assert!(!zh.is_empty() && zh != en, "{notice:?}");
        }
        let busy =
            barcode_notice_text(Lang::En, &BarcodeNotice::Refused(UiError::Api(ErrorCode::RateLimited)));
        assert!(busy.contains("try again"), "rate limited says to retry: {busy}");
        let late = barcode_notice_text(Lang::En, &BarcodeNotice::TimedOut);
        assert!(late.contains("canceled") && late.contains("no money"), "{late}");
    }

    #[test]
    fn requires_attention_is_calm_and_points_to_the_merchant() {
        let (title, body) = closed_texts(Lang::En, &SessionStatus::RequiresAttention);
        assert!(title.contains("merchant") || body.contains("merchant"), "{title} {body}");
        assert!(!title.to_lowercase().contains("fail") && !title.to_lowercase().contains("error"));
        let (title, _) = closed_texts(Lang::Zh, &SessionStatus::RequiresAttention);
        assert!(title.contains("商户"));
    }
}
