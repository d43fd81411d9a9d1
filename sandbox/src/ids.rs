//! Random identifiers in the shapes the gateways use (digit runs, QR code tokens).

use rand::Rng;
use rand::distr::Alphanumeric;

/// `n` random decimal digits; the first is never `0`, so the value reads as a number.
pub(crate) fn digits(rng: &mut impl Rng, n: usize) -> String {
    (0..n)
        .map(|i| {
            let low = if i == 0 { 1 } else { 0 };
            char::from(b'0' + rng.random_range(low..10u8))
        })
        .collect()
}

/// `n` random ASCII letters and digits.
pub(crate) fn alnum(rng: &mut impl Rng, n: usize) -> String {
    (0..n).map(|_| char::from(rng.sample(Alphanumeric))).collect()
}

/// `n` random lowercase letters and digits.
pub(crate) fn lower_alnum(rng: &mut impl Rng, n: usize) -> String {
    const SET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..n).map(|_| char::from(SET[rng.random_range(0..SET.len())])).collect()
}

/// A random UUID-shaped text (Payzero `realPersonValidationOrderId`).
pub(crate) fn uuid(rng: &mut impl Rng) -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for i in 0..32 {
        if matches!(i, 8 | 12 | 16 | 20) {
            s.push('-');
        }
        s.push(char::from(HEX[rng.random_range(0..16)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn shapes() {
        let mut rng = StdRng::seed_from_u64(7);
        let d = digits(&mut rng, 18);
        assert_eq!(d.len(), 18);
        assert!(d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0'));
        assert_eq!(alnum(&mut rng, 7).len(), 7);
        assert!(lower_alnum(&mut rng, 20).bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        let u = uuid(&mut rng);
        assert_eq!(u.len(), 36);
        assert_eq!(u.matches('-').count(), 4);
    }
}
