//! Draws a QR code locally (the payment URL never leaves the page) as one SVG path: dark modules
//! black on white, a 4-module quiet zone, and a pixel size that is a whole multiple of the module
//! count so every module is the same number of screen pixels and scanners see crisp edges. The
//! widget draws it, and the edge draws the same markup into the hosted page's first paint.
//!
//! The same code also comes as a PNG (`png`, `data_url`): on a phone, a wallet that cannot be
//! opened with a link reads the code from an image instead (WeChat's long-press "识别图中二维码",
//! or a saved picture chosen from the album in its scanner), and only an `<img>` can be pressed
//! or saved as a picture.

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

/// The symbol's modules, row by row, without the quiet zone, and its width in modules.
fn modules(content: &str) -> Option<(usize, Vec<Color>)> {
    let code = QrCode::new(content.as_bytes()).ok()?;
    Some((code.width(), code.to_colors()))
}

/// Encodes `content`; `None` when it is too long for any QR version.
pub fn encode(content: &str) -> Option<QrSvg> {
    let (width, colors) = modules(content)?;
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

/// Pixels per module in the PNG: a version-4 code (a wallet link) becomes about 330 pixels, which
/// WeChat reads from a long-pressed image or an album picture, at 14 KB.
pub const PNG_SCALE: usize = 8;

/// `content` as a PNG image: black modules on white, the quiet zone, `PNG_SCALE` pixels per
/// module, one bit per pixel. The image data is stored without compression (a deflate "stored"
/// block per 64 KB), which keeps the encoder a few lines long: the picture is made on the
/// shopper's device and never downloaded. `None` when the content does not fit a QR code.
pub fn png(content: &str) -> Option<Vec<u8>> {
    let (width, colors) = modules(content)?;
    let pixels = (width + 2 * QUIET_ZONE) * PNG_SCALE;
    let row_bytes = pixels.div_ceil(8);
    // Each row: filter type 0 (none), then the pixels, most significant bit first, 1 = white.
    let mut raw = Vec::with_capacity((row_bytes + 1) * pixels);
    for y in 0..pixels {
        raw.push(0);
        let start = raw.len();
        raw.resize(start + row_bytes, 0xff);
        let module_y = (y / PNG_SCALE).checked_sub(QUIET_ZONE).filter(|&m| m < width);
        let Some(module_y) = module_y else { continue };
        for x in 0..pixels {
            let module_x = (x / PNG_SCALE).checked_sub(QUIET_ZONE).filter(|&m| m < width);
            if module_x.is_some_and(|m| colors[module_y * width + m] == Color::Dark) {
                raw[start + x / 8] &= !(0x80 >> (x % 8));
            }
        }
    }
    let side = u32::try_from(pixels).ok()?;
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&side.to_be_bytes());
    header.extend_from_slice(&side.to_be_bytes());
    // Bit depth 1, greyscale, deflate, no filter method beyond the PNG one, not interlaced.
    header.extend_from_slice(&[1, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    Some(out)
}

/// A PNG as a `data:` URL, for an `<img>` and a download link (the hosted page's policy allows
/// `data:` images, and nothing leaves the device). The base64 is written out here rather than by
/// the `base64` crate, whose general engine would add more to the widget than this whole file;
/// the test checks it against that crate.
pub fn data_url(png: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(22 + png.len().div_ceil(3) * 4);
    out.push_str("data:image/png;base64,");
    for chunk in png.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let bits = byte(0) << 16 | byte(1) << 8 | byte(2);
        for i in 0..4 {
            // A chunk of n bytes fills n + 1 characters; the rest is padding.
            let c = if i <= chunk.len() { ALPHABET[(bits >> (18 - 6 * i) & 63) as usize] } else { b'=' };
            out.push(char::from(c));
        }
    }
    out
}

/// One PNG chunk: length, type, data, and the CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream (RFC 1950) of deflate "stored" blocks (RFC 1951 §3.2.4): no compression.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 65535 * 5 + 11);
    // CM 8 (deflate), a 32 KB window; FCHECK makes the header a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = data.chunks(65535).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    b << 16 | a
}

/// CRC-32 as PNG (and zlib's `crc32`) computes it: reflected, polynomial 0xEDB88320. Bit by bit,
/// without a table: a 14 KB picture is made once per code.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { crc >> 1 ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_adler_match_their_published_check_values() {
        // The "check" values of the CRC catalogue and of RFC 1950's Adler-32 for "123456789".
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"123456789"), 0x091e_01de);
        assert_eq!(adler32(b""), 1);
    }

    #[test]
    fn stored_blocks_split_at_64_kb_and_mark_the_last() {
        let data = vec![7u8; 65535 + 10];
        let z = zlib_stored(&data);
        assert_eq!(&z[..2], &[0x78, 0x01]);
        assert_eq!(u16::from_be_bytes([z[0], z[1]]) % 31, 0, "FCHECK");
        assert_eq!(&z[2..7], &[0, 0xff, 0xff, 0, 0]);
        let second = 7 + 65535;
        assert_eq!(&z[second..second + 5], &[1, 10, 0, 0xf5, 0xff]);
        assert_eq!(z.len(), 2 + 5 + 65535 + 5 + 10 + 4);
    }

    #[test]
    fn the_png_has_the_code_at_its_scale_with_the_quiet_zone() {
        let content = "https://qr.alipay.com/bax00000";
        let png = png(content).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let (width, colors) = modules(content).unwrap();
        let side = (width + 2 * QUIET_ZONE) * PNG_SCALE;
        assert_eq!(
            &png[16..24],
            &[&(side as u32).to_be_bytes()[..], &(side as u32).to_be_bytes()[..]].concat()[..]
        );
        // The pixels, read back from the stored blocks: row y, bit x.
        let idat = &png[8 + 25 + 8..];
        let raw: Vec<u8> = {
            let mut raw = Vec::new();
            let mut at = 2;
            loop {
                let last = idat[at] == 1;
                let len = usize::from(u16::from_le_bytes([idat[at + 1], idat[at + 2]]));
                raw.extend_from_slice(&idat[at + 5..at + 5 + len]);
                at += 5 + len;
                if last {
                    break;
                }
            }
            raw
        };
        let row = side.div_ceil(8) + 1;
        assert_eq!(raw.len(), row * side);
        let dark = |x: usize, y: usize| raw[y * row + 1 + x / 8] & (0x80 >> (x % 8)) == 0;
        for (i, color) in colors.iter().enumerate() {
            let (mx, my) = (i % width, i / width);
            let (x, y) = ((mx + QUIET_ZONE) * PNG_SCALE + 3, (my + QUIET_ZONE) * PNG_SCALE + 5);
            assert_eq!(dark(x, y), *color == Color::Dark, "module {mx},{my}");
        }
        assert!((0..side).all(|x| !dark(x, 0) && !dark(x, side - 1) && !dark(0, x)), "quiet zone");
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]));
        assert!(data_url(&png).starts_with("data:image/png;base64,iVBORw0KGgo"));
    }

    #[test]
    fn the_data_url_is_standard_base64() {
        use base64::Engine;
        for len in 0..10 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
            let want = base64::engine::general_purpose::STANDARD.encode(&data);
            assert_eq!(data_url(&data), format!("data:image/png;base64,{want}"), "{len} bytes");
        }
    }

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
