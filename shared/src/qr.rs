//! Draws a QR code locally (the payment URL never leaves the page) as one SVG path: dark modules
//! black on white, a 4-module quiet zone, and a pixel size that is a whole multiple of the module
//! count so every module is the same number of screen pixels and scanners see crisp edges. The
//! widget draws it, and the edge draws the same markup into the hosted page's first paint.

use qrcode::{Color, QrCode};

/// The quiet zone ISO/IEC 18004 asks for around the symbol, in modules.
pub const QUIET_ZONE: usize = 4;

/// The smallest width we draw, in CSS pixels: big enough for a phone camera across a desk.
const MIN_PIXELS: usize = 220;

/// A QR code ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct QrSvg {
    /// Modules per side, quiet zone included: the SVG `viewBox` is `0 0 side side`.
    pub side: usize,
    /// Width and height in CSS pixels: `side` times a whole number.
    pub pixels: usize,
    /// The dark modules as one path, one run of modules per subpath.
    pub path: String,
}

impl QrSvg {
    /// The `<svg>` element: the same markup wherever it is drawn. `label` is its accessible name
    /// (escaped here).
    pub fn markup(&self, label: &str) -> String {
        let (side, pixels, path) = (self.side, self.pixels, &self.path);
        let label = escape(label);
        format!(
            r##"<svg class="ce-qr-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" width="{pixels}" height="{pixels}" shape-rendering="crispEdges" role="img" aria-label="{label}"><rect width="100%" height="100%" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
        )
    }
}

/// `text` safe inside an HTML element or a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Encodes `content`; `None` when it is too long for any QR version.
pub fn encode(content: &str) -> Option<QrSvg> {
    let code = QrCode::new(content.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * QUIET_ZONE;
    let mut path = String::with_capacity(colors.len() * 4);
    for (y, row) in colors.chunks(width).enumerate() {
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let start = x;
                while x < width && row[x] == Color::Dark {
                    x += 1;
                }
                // A run of dark modules as one rectangle keeps the path (and the DOM) small.
                let run = x - start;
                path.push_str(&format!("M{} {}h{}v1h-{}z", start + QUIET_ZONE, y + QUIET_ZONE, run, run));
            } else {
                x += 1;
            }
        }
    }
    let scale = MIN_PIXELS.div_ceil(side).max(1);
    Some(QrSvg { side, pixels: side * scale, path })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_url_encodes_with_quiet_zone_and_whole_pixel_modules() {
        let svg = encode("weixin://wxpay/bizpayurl?pr=AbCdEf123").unwrap();
        // Version 3 (29 modules) for this length at level M.
        assert_eq!(svg.side, 29 + 8);
        assert!(svg.pixels >= MIN_PIXELS);
        assert_eq!(svg.pixels % svg.side, 0);
        // The top-left finder pattern starts right after the quiet zone.
        assert!(svg.path.starts_with("M4 4h7v1h-7z"), "{}", &svg.path[..40]);
    }

    #[test]
    fn the_path_has_one_rectangle_per_run_of_dark_modules() {
        let code = QrCode::new(b"https://qr.alipay.com/bax00000").unwrap();
        let dark = code.to_colors().iter().filter(|c| **c == Color::Dark).count();
        let svg = encode("https://qr.alipay.com/bax00000").unwrap();
        let drawn: usize = svg
            .path
            .split('M')
            .filter(|s| !s.is_empty())
            .map(|s| s.split('h').nth(1).and_then(|n| n.split('v').next()).unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(drawn, dark);
    }

    #[test]
    fn the_markup_is_one_svg_with_its_label_escaped() {
        let svg = encode("weixin://wxpay/bizpayurl?pr=AbCdEf123").unwrap();
        let markup = svg.markup("QR <\"WeChat\"> & co");
        assert!(
            markup.starts_with(
                r#"<svg class="ce-qr-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 37 37""#
            )
        );
        assert!(markup.contains(r#"aria-label="QR &lt;&quot;WeChat&quot;&gt; &amp; co""#));
        assert!(markup.contains(&format!(r##"<path d="{}" fill="#000"/>"##, svg.path)));
        assert!(markup.ends_with("</svg>"));
    }

    #[test]
    fn content_too_long_for_a_qr_is_refused() {
        assert_eq!(encode(&"x".repeat(5000)), None);
    }
}
