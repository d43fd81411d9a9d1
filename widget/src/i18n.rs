//! Every string the shopper reads, in zh-CN (the default) and English, plus the few formatters
//! (amounts, countdowns) whose output is text on screen.

use crate::state::{BarcodeNotice, CardFailure, CodeProblem, QrChoice, UiError};
use checkout_shared::Fen;
use checkout_shared::api::{
    CardField, CardProblem, CardStep, Channel, ErrorCode, FieldProblem, Locale, PaymentMethod, QrView,
    SessionStatus,
};
use checkout_shared::payzero::{BankCode, Psp};

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
    LongPressTitle,
    SaveQr,
    SaveSteps,
    PictureCaveat,
    OtherDevice,
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
    GroupCard,
    CardMethod,
    CardChoose,
    CardAdd,
    CardNew,
    CardRemove,
    CardRemoveAsk,
    CardKeep,
    CardBack,
    LabelAccountName,
    LabelCardNumber,
    LabelCardType,
    Debit,
    Credit,
    LabelBank,
    BankFilter,
    BankPlaceholder,
    LabelIdNumber,
    LabelMobile,
    LabelCvv2,
    LabelExpiry,
    LabelCode,
    CardSubmit,
    CardSending,
    LuhnWarning,
    CodeSentTo,
    ConfirmSignup,
    ConfirmPay,
    Resend,
    ResendIn,
    CodeValidFor,
    TriesLeft,
    PayNow,
    SignedBody,
    PayAgain,
    RetryIn,
    StepSignupCode,
    StepSigned,
    StepPayCode,
    StepProcessing,
    StepFailed,
    ProcessingHint,
    ProblemCodeWrong,
    ProblemCodeExpired,
    ProblemTooManyTries,
    ProblemRefused,
    ProblemUnavailable,
    Gw30001,
    Gw30002,
    Gw30003,
    Gw30004,
    Gw50061,
    Gw50062,
    Gw50063,
    Gw50080,
    Gw50081,
    FpMissing,
    FpInvalid,
    FpNotForDebit,
    FpCardDigits,
    FpCardLength,
    FpIdLength,
    FpIdFormat,
    FpIdChecksum,
    FpMobileDigits,
    FpMobileLength,
    FpMobileFormat,
    FpPhoneLocked,
    FpNameLength,
    FpNameFormat,
    FpCvv2,
    FpExpiryFormat,
    FpExpired,
    FpBank,
    FpCardType,
    FpCardId,
    FpCode,
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
        Msg::LongPressTitle,
        Msg::SaveQr,
        Msg::SaveSteps,
        Msg::PictureCaveat,
        Msg::OtherDevice,
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
        Msg::GroupCard,
        Msg::CardMethod,
        Msg::CardChoose,
        Msg::CardAdd,
        Msg::CardNew,
        Msg::CardRemove,
        Msg::CardRemoveAsk,
        Msg::CardKeep,
        Msg::CardBack,
        Msg::LabelAccountName,
        Msg::LabelCardNumber,
        Msg::LabelCardType,
        Msg::Debit,
        Msg::Credit,
        Msg::LabelBank,
        Msg::BankFilter,
        Msg::BankPlaceholder,
        Msg::LabelIdNumber,
        Msg::LabelMobile,
        Msg::LabelCvv2,
        Msg::LabelExpiry,
        Msg::LabelCode,
        Msg::CardSubmit,
        Msg::CardSending,
        Msg::LuhnWarning,
        Msg::CodeSentTo,
        Msg::ConfirmSignup,
        Msg::ConfirmPay,
        Msg::Resend,
        Msg::ResendIn,
        Msg::CodeValidFor,
        Msg::TriesLeft,
        Msg::PayNow,
        Msg::SignedBody,
        Msg::PayAgain,
        Msg::RetryIn,
        Msg::StepSignupCode,
        Msg::StepSigned,
        Msg::StepPayCode,
        Msg::StepProcessing,
        Msg::StepFailed,
        Msg::ProcessingHint,
        Msg::ProblemCodeWrong,
        Msg::ProblemCodeExpired,
        Msg::ProblemTooManyTries,
        Msg::ProblemRefused,
        Msg::ProblemUnavailable,
        Msg::Gw30001,
        Msg::Gw30002,
        Msg::Gw30003,
        Msg::Gw30004,
        Msg::Gw50061,
        Msg::Gw50062,
        Msg::Gw50063,
        Msg::Gw50080,
        Msg::Gw50081,
        Msg::FpMissing,
        Msg::FpInvalid,
        Msg::FpNotForDebit,
        Msg::FpCardDigits,
        Msg::FpCardLength,
        Msg::FpIdLength,
        Msg::FpIdFormat,
        Msg::FpIdChecksum,
        Msg::FpMobileDigits,
        Msg::FpMobileLength,
        Msg::FpMobileFormat,
        Msg::FpPhoneLocked,
        Msg::FpNameLength,
        Msg::FpNameFormat,
        Msg::FpCvv2,
        Msg::FpExpiryFormat,
        Msg::FpExpired,
        Msg::FpBank,
        Msg::FpCardType,
        Msg::FpCardId,
        Msg::FpCode,
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
        Msg::LongPressTitle => {
            ("长按二维码，识别付款", "Press and hold the code, then choose \"Scan QR Code in Image\" to pay")
        }
        Msg::SaveQr => ("保存二维码", "Save the code"),
        Msg::SaveSteps => (
            "保存后打开微信：扫一扫 → 相册，选择这张二维码付款。",
            "Then open WeChat: Scan → Album, and choose this picture to pay.",
        ),
        Msg::PictureCaveat => (
            "如微信提示暂不支持识别图片中的付款码，请用另一台手机的微信扫码，或更换支付方式。",
            "If WeChat says it cannot pay from a picture, scan the code with WeChat on another phone, or use another payment method.",
        ),
        Msg::OtherDevice => {
            ("也可以用另一台手机扫码付款。", "You can also scan the code with another phone.")
        }
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
        Msg::GroupCard => ("银行卡支付", "Pay by bank card"),
        Msg::CardMethod => ("银行卡快捷支付", "Bank card"),
        Msg::CardChoose => ("选择银行卡", "Choose a card"),
        Msg::CardAdd => ("添加银行卡", "Add a bank card"),
        Msg::CardNew => ("使用新银行卡", "Use a new card"),
        Msg::CardRemove => ("删除", "Remove"),
        Msg::CardRemoveAsk => ("删除这张银行卡？", "Remove this card?"),
        Msg::CardKeep => ("保留", "Keep"),
        Msg::CardBack => ("返回", "Back"),
        Msg::LabelAccountName => ("持卡人姓名", "Cardholder name"),
        Msg::LabelCardNumber => ("银行卡号", "Card number"),
        Msg::LabelCardType => ("卡类型", "Card type"),
        Msg::Debit => ("储蓄卡", "Debit card"),
        Msg::Credit => ("信用卡", "Credit card"),
        Msg::LabelBank => ("发卡银行", "Bank"),
        Msg::BankFilter => ("搜索银行", "Search banks"),
        Msg::BankPlaceholder => ("请选择银行", "Choose your bank"),
        Msg::LabelIdNumber => ("身份证号", "ID card number"),
        Msg::LabelMobile => ("银行预留手机号", "Mobile number held by the bank"),
        Msg::LabelCvv2 => ("安全码（卡背面 3 位数字）", "Security code (3 digits on the back)"),
        Msg::LabelExpiry => ("有效期（年月，如 2812）", "Expiry (YYMM, e.g. 2812)"),
        Msg::LabelCode => ("短信验证码", "SMS code"),
        Msg::CardSubmit => ("获取验证码", "Send me a code"),
        Msg::CardSending => ("正在提交…", "Sending…"),
        Msg::LuhnWarning => {
            ("卡号校验未通过，请核对卡号是否输入正确。", "This card number may be mistyped. Please check it.")
        }
        Msg::CodeSentTo => ("验证码已发送至 ", "Code sent to "),
        Msg::ConfirmSignup => ("确认签约", "Confirm card"),
        Msg::ConfirmPay => ("确认付款", "Confirm payment"),
        Msg::Resend => ("重新获取验证码", "Send a new code"),
        Msg::ResendIn => ("后可重新获取", "until you can ask for a new code"),
        Msg::CodeValidFor => ("验证码有效期", "Code valid for"),
        Msg::TriesLeft => ("还可输错次数：", "Wrong codes still allowed: "),
        Msg::PayNow => ("付款", "Pay"),
        Msg::SignedBody => (
            "付款验证码暂时无法发送，请在按钮可用后点击付款。",
            "The payment code cannot be sent yet. Press Pay when the button is ready.",
        ),
        Msg::PayAgain => ("使用此卡重新付款", "Pay again with this card"),
        Msg::RetryIn => {
            ("操作过于频繁，请稍候再试。剩余等待时间：", "Too many attempts. You can try again in ")
        }
        Msg::StepSignupCode => ("签约验证码已发送", "Sign-up code sent"),
        Msg::StepSigned => ("银行卡已签约", "Card signed up"),
        Msg::StepPayCode => ("付款验证码已发送", "Payment code sent"),
        Msg::StepProcessing => ("正在付款…", "Processing your payment…"),
        Msg::StepFailed => ("本次付款未完成", "This payment did not go through"),
        Msg::ProcessingHint => {
            ("银行正在处理付款，请稍候。", "The bank is completing the payment. Please wait.")
        }
        Msg::ProblemCodeWrong => {
            ("验证码错误，请重新获取验证码后再试。", "Wrong code. Send a new code and try again.")
        }
        Msg::ProblemCodeExpired => ("验证码已过期，请重新获取。", "The code has expired. Send a new one."),
        Msg::ProblemTooManyTries => (
            "验证码错误次数过多，本次付款已终止。请重新选择银行卡或添加新卡。",
            "Too many wrong codes: this try has ended. Choose the card again or add a new one.",
        ),
        Msg::ProblemRefused => (
            "银行或支付机构拒绝了本次操作，请更换银行卡或支付方式。",
            "The bank or payment provider refused this. Use another card or payment method.",
        ),
        Msg::ProblemUnavailable => (
            "支付通道暂时不可用，请稍后重试。",
            "The payment provider is unavailable. Please try again shortly.",
        ),
        Msg::Gw30001 => (
            "银行未接受所填信息，请核对后重试。",
            "The bank refused a detail of the request. Check the card details and try again.",
        ),
        Msg::Gw30002 => ("此卡已签约，无需重复签约。", "This card is already signed up."),
        Msg::Gw30003 => (
            "未找到签约协议或订单，请重新开始。",
            "The card agreement or order was not found. Please start again.",
        ),
        Msg::Gw30004 => (
            "订单当前状态不允许此操作，请刷新页面。",
            "The order's current state does not allow this. Please reload the page.",
        ),
        Msg::Gw50061 => ("短信验证码错误。", "The SMS code is wrong."),
        Msg::Gw50062 => ("请求有误，请重新获取验证码。", "The request failed. Get a new code."),
        Msg::Gw50063 => ("短信验证码已过期，请重新获取。", "The SMS code has expired. Get a new one."),
        Msg::Gw50080 => (
            "测试环境无法签约此银行，请选择测试银行（999）。",
            "This bank cannot be signed up in the test environment: choose the test bank (999).",
        ),
        Msg::Gw50081 => ("验证码应为 6 位。", "The code must be 6 characters."),
        Msg::FpMissing => ("请填写：", "Required: "),
        Msg::FpInvalid => ("请核对：", "Please check: "),
        Msg::FpNotForDebit => ("储蓄卡无需填写此项。", "Not needed for a debit card."),
        Msg::FpCardDigits => ("卡号只能包含数字。", "A card number has digits only."),
        Msg::FpCardLength => ("卡号应为 13–19 位数字。", "A card number has 13 to 19 digits."),
        Msg::FpIdLength => ("身份证号应为 18 位。", "An ID card number has 18 characters."),
        Msg::FpIdFormat => (
            "身份证号格式不正确：应为 17 位数字加 1 位数字或 X，且出生日期有效。",
            "Not an ID card number: 17 digits then a digit or X, with a real birth date.",
        ),
        Msg::FpIdChecksum => (
            "身份证号校验位不正确，请核对。",
            "This ID card number's check character is wrong. Please check it.",
        ),
        Msg::FpMobileDigits => ("手机号只能包含数字。", "A mobile number has digits only."),
        Msg::FpMobileLength => ("手机号应为 11 位数字。", "A mobile number has 11 digits."),
        Msg::FpMobileFormat => (
            "请输入中国大陆手机号（以 13–19 开头）。",
            "Enter a mainland China mobile number (starting 13 to 19).",
        ),
        Msg::FpPhoneLocked => (
            "本次付款已向另一手机号发送验证码，请使用该手机号。",
            "Codes for this payment went to another mobile number. Use that number.",
        ),
        Msg::FpNameLength => ("姓名应为 2–30 个字。", "A name has 2 to 30 characters."),
        Msg::FpNameFormat => ("姓名不能包含数字。", "A name cannot contain digits."),
        Msg::FpCvv2 => {
            ("安全码为卡背面的 3 位数字。", "The security code is the 3 digits on the back of the card.")
        }
        Msg::FpExpiryFormat => {
            ("有效期应为年月 4 位数字，如 2812。", "Enter the expiry as 4 digits, YYMM, e.g. 2812.")
        }
        Msg::FpExpired => ("此卡已过期。", "This card has expired."),
        Msg::FpBank => ("请从列表中选择银行。", "Choose a bank from the list."),
        Msg::FpCardType => ("请选择储蓄卡或信用卡。", "Choose debit or credit."),
        Msg::FpCardId => {
            ("这张银行卡已不可用，请重新选择。", "This card is no longer available. Choose another.")
        }
        Msg::FpCode => ("请输入 6 位数字验证码。", "Enter the 6-digit code."),
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

/// The heading over a QR on a phone that hands the code to the wallet app.
pub fn pay_in_app(lang: Lang, channel: &Channel) -> String {
    match (channel, lang) {
        (Channel::WechatPay, Lang::Zh) => "用微信付款".into(),
        (Channel::WechatPay, Lang::En) => "Pay with WeChat".into(),
        (Channel::Alipay, Lang::Zh) => "用支付宝付款".into(),
        (Channel::Alipay, Lang::En) => "Pay with Alipay".into(),
        (Channel::Unionpay, Lang::Zh) => "用云闪付付款".into(),
        (Channel::Unionpay, Lang::En) => "Pay with the UnionPay app".into(),
        (Channel::Unknown(name), Lang::Zh) => format!("用{name}付款"),
        (Channel::Unknown(name), Lang::En) => format!("Pay with {name}"),
    }
}

/// The primary button that opens the wallet app with the code.
pub fn open_wallet(lang: Lang, channel: &Channel) -> String {
    match (channel, lang) {
        (Channel::Alipay, Lang::Zh) => "打开支付宝付款".into(),
        (Channel::Alipay, Lang::En) => "Open Alipay to pay".into(),
        (Channel::Unionpay, Lang::Zh) => "打开云闪付付款".into(),
        (Channel::Unionpay, Lang::En) => "Open the UnionPay app to pay".into(),
        (Channel::WechatPay, Lang::Zh) => "打开微信付款".into(),
        (Channel::WechatPay, Lang::En) => "Open WeChat to pay".into(),
        (Channel::Unknown(name), Lang::Zh) => format!("打开{name}付款"),
        (Channel::Unknown(name), Lang::En) => format!("Open {name} to pay"),
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
            // Merchant API only: a shopper never meets these.
            | ErrorCode::SessionNotPaid
            | ErrorCode::RefundExceedsPayment
            | ErrorCode::IdempotencyConflict
            | ErrorCode::RequestInProgress
            | ErrorCode::NotConfigured
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

/// A form field's label (also the noun the generic field messages use).
pub fn field_label(lang: Lang, field: &CardField) -> &'static str {
    let msg = match field {
        CardField::AccountName => Msg::LabelAccountName,
        CardField::CardNumber => Msg::LabelCardNumber,
        CardField::CardType => Msg::LabelCardType,
        CardField::BankCode => Msg::LabelBank,
        CardField::IdNumber => Msg::LabelIdNumber,
        CardField::Mobile => Msg::LabelMobile,
        CardField::Cvv2 => Msg::LabelCvv2,
        CardField::Expiry => Msg::LabelExpiry,
        CardField::Code => Msg::LabelCode,
        CardField::CardId | CardField::Unknown(_) => Msg::CardChoose,
    };
    t(lang, msg)
}

/// What is wrong with a field, in words that say how to fix it: a sentence of its own where the
/// field and problem call for one, else the field's label after "required" / "please check".
pub fn field_problem_text(lang: Lang, field: &CardField, problem: &FieldProblem) -> String {
    use CardField as F;
    use FieldProblem as P;
    let msg = match (field, problem) {
        (F::Code, _) => Msg::FpCode,
        (F::BankCode, P::Missing) => Msg::BankPlaceholder,
        (F::BankCode, _) => Msg::FpBank,
        (F::CardType, _) => Msg::FpCardType,
        (F::CardId, _) => Msg::FpCardId,
        (_, P::NotForDebit) => Msg::FpNotForDebit,
        (F::Cvv2, _) => Msg::FpCvv2,
        (F::Expiry, P::Expired) => Msg::FpExpired,
        (F::Expiry, _) => Msg::FpExpiryFormat,
        (_, P::Missing) => return [t(lang, Msg::FpMissing), field_label(lang, field)].concat(),
        (F::CardNumber, P::NotDigits) => Msg::FpCardDigits,
        (F::CardNumber, P::Length) => Msg::FpCardLength,
        (F::IdNumber, P::Length) => Msg::FpIdLength,
        (F::IdNumber, P::Format) => Msg::FpIdFormat,
        (F::IdNumber, P::Checksum) => Msg::FpIdChecksum,
        (F::Mobile, P::NotDigits) => Msg::FpMobileDigits,
        (F::Mobile, P::Length) => Msg::FpMobileLength,
        (F::Mobile, P::Format) => Msg::FpMobileFormat,
        (F::Mobile, P::PhoneLocked) => Msg::FpPhoneLocked,
        (F::AccountName, P::Length) => Msg::FpNameLength,
        (F::AccountName, P::Format) => Msg::FpNameFormat,
        _ => return [t(lang, Msg::FpInvalid), field_label(lang, field)].concat(),
    };
    t(lang, msg).to_owned()
}

/// What a Payzero quick-pay error code (§5) means for the shopper; any other code gets the
/// generic message with the code in it, so support can still look it up.
pub fn gateway_text(lang: Lang, code: &str) -> String {
    let msg = match code.trim() {
        "30001" => Msg::Gw30001,
        "30002" => Msg::Gw30002,
        "30003" => Msg::Gw30003,
        "30004" => Msg::Gw30004,
        "50061" => Msg::Gw50061,
        "50062" => Msg::Gw50062,
        "50063" => Msg::Gw50063,
        "50080" => Msg::Gw50080,
        "50081" => Msg::Gw50081,
        other => {
            let code: String = other.chars().take(32).collect();
            return match lang {
                Lang::Zh => ["银行卡操作未成功（错误码 ", &code, "），请稍后重试或更换支付方式。"].concat(),
                Lang::En => [
                    "The card request did not go through (code ",
                    &code,
                    "). Try again later or pay another way.",
                ]
                .concat(),
            };
        }
    };
    t(lang, msg).to_owned()
}

/// Why a card step did not go through: the problem, with the gateway's code when it says more.
pub fn card_problem_text(lang: Lang, problem: &CardProblem, gateway_code: Option<&str>) -> String {
    let msg = match problem {
        CardProblem::CodeWrong => Msg::ProblemCodeWrong,
        CardProblem::CodeExpired => Msg::ProblemCodeExpired,
        CardProblem::TooManyTries => Msg::ProblemTooManyTries,
        CardProblem::Unavailable => Msg::ProblemUnavailable,
        CardProblem::Refused | CardProblem::Unknown(_) => match gateway_code {
            Some(code) => return gateway_text(lang, code),
            None => Msg::ProblemRefused,
        },
    };
    t(lang, msg).to_owned()
}

/// Why a card request was refused: its field's problem, the gateway's code, or the edge's code.
pub fn card_failure_text(lang: Lang, failure: &CardFailure) -> String {
    if let (Some(field), Some(problem)) = (&failure.field, &failure.problem) {
        return field_problem_text(lang, field, problem);
    }
    match &failure.gateway_code {
        Some(code) => gateway_text(lang, code),
        None => error_text(lang, &failure.error).to_owned(),
    }
}

/// A card step as a heading and as what the status line announces.
pub fn card_step_text(lang: Lang, step: &CardStep) -> &'static str {
    let msg = match step {
        CardStep::SignupCodeSent => Msg::StepSignupCode,
        CardStep::Signed => Msg::StepSigned,
        CardStep::PayCodeSent => Msg::StepPayCode,
        CardStep::Paid => Msg::Paid,
        CardStep::Failed => Msg::StepFailed,
        CardStep::Processing | CardStep::Unknown(_) => Msg::StepProcessing,
    };
    t(lang, msg)
}

/// A bank's name from the A.5 list, or the name the edge gave, or its code.
pub fn bank_name<'a>(lang: Lang, code: &'a str, given: Option<&'a str>) -> &'a str {
    let bank: BankCode = code.parse().unwrap_or_else(|never| match never {});
    let known = match lang {
        Lang::Zh => bank.name_zh(),
        Lang::En => bank.name_en(),
    };
    known.or(given).unwrap_or(code)
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

    #[test]
    fn every_quick_pay_gateway_code_has_its_own_words_and_others_show_the_code() {
        let codes = ["30001", "30002", "30003", "30004", "50061", "50062", "50063", "50080", "50081"];
        let mut seen = Vec::new();
        for code in codes {
            let (zh, en) = (gateway_text(Lang::Zh, code), gateway_text(Lang::En, code));
            assert!(!zh.contains(code) || code == "50080", "{code}: {zh}");
            assert_ne!(zh, en);
            assert!(!seen.contains(&en), "{code} shares its words");
            seen.push(en);
        }
        assert!(gateway_text(Lang::En, "50080").contains("999"));
        assert!(gateway_text(Lang::Zh, "40404").contains("40404"));
        assert!(gateway_text(Lang::En, "40404").contains("40404"));
    }

    #[test]
    fn every_field_problem_and_card_problem_and_step_has_words() {
        for field in CardField::KNOWN {
            for problem in FieldProblem::KNOWN {
                let (zh, en) = (
                    field_problem_text(Lang::Zh, field, problem),
                    field_problem_text(Lang::En, field, problem),
                );
                assert!(!zh.is_empty() && zh != en, "{field:?} {problem:?}");
            }
        }
        assert!(
            field_problem_text(Lang::En, &CardField::IdNumber, &FieldProblem::Checksum).contains("check")
        );
        assert_eq!(
            field_problem_text(Lang::Zh, &CardField::AccountName, &FieldProblem::Missing),
            "请填写：持卡人姓名"
        );
        for problem in CardProblem::KNOWN {
            assert_ne!(
                card_problem_text(Lang::Zh, problem, None),
                card_problem_text(Lang::En, problem, None)
            );
        }
        assert!(card_problem_text(Lang::En, &CardProblem::Refused, Some("30002")).contains("already"));
        for step in CardStep::KNOWN {
            assert_ne!(card_step_text(Lang::Zh, step), card_step_text(Lang::En, step));
        }
        assert_eq!(bank_name(Lang::Zh, "0308", None), "招商银行");
        assert_eq!(bank_name(Lang::En, "0777", Some("Future Bank")), "Future Bank");
    }
}
