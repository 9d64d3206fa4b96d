//! Lexical primitives shared by the pattern tokenizer (which must report errors
//! where Jackson does) and the event parser (which only needs to know whether
//! the JSON is valid).
//!
//! Offsets are byte offsets into the source text. An error's `at` is where
//! Jackson's read pointer stands when it reports the problem: just past the
//! offending character.

/// Why a JSON string literal could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrError {
    /// The input ended before the closing quote.
    Eof,
    /// The input ended inside an escape sequence.
    EofInEscape,
    /// A raw control character (below U+0020) inside the literal.
    Control(u8),
    /// A backslash followed by a character that is not a JSON escape.
    BadEscape(char),
    /// A `\u` escape with a character that is not a hex digit.
    BadHex(char),
}

/// Decodes the JSON string literal whose content starts at `start` (just past
/// the opening quote) and appends it to `out`. Returns the offset just past the
/// closing quote, or the error and the offset at which it is reported.
///
/// A lone UTF-16 surrogate escape (valid JSON, not valid Unicode) decodes to
/// U+FFFD, as Rust strings cannot hold it.
pub(crate) fn decode_string(src: &str, start: usize, out: &mut String) -> Result<usize, (StrError, usize)> {
    let bytes = src.as_bytes();
    let mut pos = start;
    loop {
        let run_start = pos;
        while pos < bytes.len() && !matches!(bytes[pos], b'"' | b'\\' | 0..=0x1f) {
            pos += 1;
        }
        out.push_str(&src[run_start..pos]);
        let Some(&byte) = bytes.get(pos) else {
            return Err((StrError::Eof, pos));
        };
        pos += 1;
        match byte {
            b'"' => return Ok(pos),
            b'\\' => pos = decode_escape(src, pos, out)?,
            control => return Err((StrError::Control(control), pos)),
        }
    }
}

/// Decodes one escape sequence whose character (after the backslash) is at
/// `pos`; returns the offset after it.
fn decode_escape(src: &str, pos: usize, out: &mut String) -> Result<usize, (StrError, usize)> {
    let Some(escaped) = src[pos..].chars().next() else {
        return Err((StrError::EofInEscape, pos));
    };
    let after = pos + escaped.len_utf8();
    let simple = match escaped {
        '"' => '"',
        '\\' => '\\',
        '/' => '/',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'u' => {
            let (unit, mut end) = hex4(src, after)?;
            let decoded = if (0xD800..0xDC00).contains(&unit) {
                // A high surrogate pairs with an immediately following low one.
                match low_surrogate(src, end) {
                    Some((low, low_end)) => {
                        end = low_end;
                        let code = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
                        char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
                    }
                    None => char::REPLACEMENT_CHARACTER,
                }
            } else {
                char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER)
            };
            out.push(decoded);
            return Ok(end);
        }
        other => return Err((StrError::BadEscape(other), after)),
    };
    out.push(simple);
    Ok(after)
}

fn low_surrogate(src: &str, pos: usize) -> Option<(u32, usize)> {
    let rest = src.as_bytes().get(pos..pos + 2)?;
    if rest != b"\\u" {
        return None;
    }
    let (unit, end) = hex4(src, pos + 2).ok()?;
    (0xDC00..0xE000).contains(&unit).then_some((unit, end))
}

fn hex4(src: &str, pos: usize) -> Result<(u32, usize), (StrError, usize)> {
    let mut value = 0u32;
    let mut at = pos;
    for _ in 0..4 {
        let Some(ch) = src[at..].chars().next() else {
            return Err((StrError::EofInEscape, at));
        };
        at += ch.len_utf8();
        let Some(digit) = ch.to_digit(16) else {
            return Err((StrError::BadHex(ch), at));
        };
        value = value * 16 + digit;
    }
    Ok((value, at))
}

/// The offset of the closing quote of the string literal whose content
/// starts at `start`, if the literal has no escapes or control characters
/// (so its content can be used as it is).
pub(crate) fn plain_string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let rest = bytes.get(start..)?;
    let end = rest.iter().position(|&b| matches!(b, b'"' | b'\\' | 0..=0x1f))?;
    (rest[end] == b'"').then_some(start + end)
}

/// Why a JSON number could not be scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    /// The input ended inside the number.
    Eof,
    /// `-` not followed by a digit.
    MinusNoDigit(char),
    /// A `0` followed by another digit.
    LeadingZero,
    /// `.` not followed by a digit.
    DecimalNoDigit(char),
    /// `e`/`E` (and an optional sign) not followed by a digit.
    ExponentNoDigit(char),
}

/// Scans the JSON number starting at `start` (its first character, `-` or a
/// digit). Returns the offset just past it and whether it has a fraction or an
/// exponent.
pub(crate) fn scan_number(bytes: &[u8], start: usize) -> Result<(usize, bool), (NumError, usize)> {
    let next = |pos: usize| bytes.get(pos).copied();
    let mut pos = start;
    if next(pos) == Some(b'-') {
        pos += 1;
        match next(pos) {
            Some(b'0'..=b'9') => {}
            Some(other) => {
                let ch = char_at(bytes, pos, other);
                return Err((NumError::MinusNoDigit(ch), pos + ch.len_utf8()));
            }
            None => return Err((NumError::Eof, pos)),
        }
    }
    if next(pos) == Some(b'0') && matches!(next(pos + 1), Some(b'0'..=b'9')) {
        return Err((NumError::LeadingZero, pos + 2));
    }
    while matches!(next(pos), Some(b'0'..=b'9')) {
        pos += 1;
    }
    let mut float = false;
    if next(pos) == Some(b'.') {
        float = true;
        pos += 1;
        pos = digits_required(bytes, pos, NumError::DecimalNoDigit)?;
    }
    if matches!(next(pos), Some(b'e' | b'E')) {
        float = true;
        pos += 1;
        if matches!(next(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        pos = digits_required(bytes, pos, NumError::ExponentNoDigit)?;
    }
    Ok((pos, float))
}

fn digits_required(bytes: &[u8], mut pos: usize, error: fn(char) -> NumError) -> Result<usize, (NumError, usize)> {
    match bytes.get(pos) {
        Some(b'0'..=b'9') => {}
        Some(&other) => {
            let ch = char_at(bytes, pos, other);
            return Err((error(ch), pos + ch.len_utf8()));
        }
        None => return Err((NumError::Eof, pos)),
    }
    while matches!(bytes.get(pos), Some(b'0'..=b'9')) {
        pos += 1;
    }
    Ok(pos)
}

/// The character starting at `pos`, for error messages; a non-ASCII lead byte
/// is decoded so the message names the real character.
fn char_at(bytes: &[u8], pos: usize, byte: u8) -> char {
    if byte.is_ascii() {
        return char::from(byte);
    }
    let end = (pos + 4).min(bytes.len());
    (1..=end - pos)
        .find_map(|len| std::str::from_utf8(&bytes[pos..pos + len]).ok())
        .and_then(|s| s.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The largest magnitude numeric matching supports, in millionths:
/// EventBridge compares numbers between -5.0e9 and 5.0e9 inclusive, to six
/// decimal places.
pub(crate) const MAX_MICROS: i64 = 5_000_000_000_000_000;

/// A JSON number as EventBridge compares it: its value in millionths,
/// truncated toward zero, or `None` if it lies outside -5.0e9..=5.0e9.
///
/// The text is decoded exactly (no binary floating point), so `300`, `300.0`
/// and `3.0e2` all give the same value.
pub(crate) fn micros(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let (negative, body) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let value = if body.iter().any(|b| matches!(b, b'e' | b'E')) { scaled(body)? } else { plain(body)? };
    Some(if negative { -value } else { value })
}

/// Millionths of a number without an exponent (the common case, done in one
/// pass).
fn plain(body: &[u8]) -> Option<i64> {
    const WHOLE_MAX: i64 = MAX_MICROS / 1_000_000;
    let mut whole: i64 = 0;
    let mut i = 0;
    while let Some(&b) = body.get(i).filter(|b| b.is_ascii_digit()) {
        whole = whole * 10 + i64::from(b - b'0');
        if whole > WHOLE_MAX {
            return None;
        }
        i += 1;
    }
    let mut fraction: i64 = 0;
    let mut places = 0;
    let mut dropped_nonzero = false;
    if body.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&b) = body.get(i).filter(|b| b.is_ascii_digit()) {
            if places < 6 {
                fraction = fraction * 10 + i64::from(b - b'0');
                places += 1;
            } else {
                dropped_nonzero |= b != b'0';
            }
            i += 1;
        }
    }
    if i != body.len() {
        return None;
    }
    for _ in places..6 {
        fraction *= 10;
    }
    let value = whole * 1_000_000 + fraction;
    (value < MAX_MICROS || (value == MAX_MICROS && !dropped_nonzero)).then_some(value)
}

/// Millionths of a number with an exponent.
fn scaled(body: &[u8]) -> Option<i64> {
    let mantissa_end = body.iter().position(|b| matches!(b, b'e' | b'E')).unwrap_or(body.len());
    let mantissa = &body[..mantissa_end];
    let exponent = parse_exponent(&body[mantissa_end..])?;
    let int_len = mantissa.iter().position(|&b| b == b'.').unwrap_or(mantissa.len());
    // Digit i of the mantissa (points skipped) stands for d * 10^power with
    // power = int_len - 1 - i + exponent; millionths keep powers >= -6.
    let top_power = i64::try_from(int_len).ok()? - 1 + exponent;
    let mut value: i64 = 0;
    let mut last_power = top_power + 1;
    let mut dropped_nonzero = false;
    for (power, d) in (0..)
        .map(|i: i64| top_power - i)
        .zip(mantissa.iter().filter(|&&b| b != b'.').map(|&b| i64::from(b.wrapping_sub(b'0'))))
    {
        if !(0..=9).contains(&d) {
            return None;
        }
        if power < -6 {
            dropped_nonzero |= d != 0;
            continue;
        }
        value = value.checked_mul(10)?.checked_add(d)?;
        if value > MAX_MICROS {
            return None;
        }
        last_power = power;
    }
    if value != 0 {
        for _ in 0..(last_power + 6) {
            value = value.checked_mul(10)?;
            if value > MAX_MICROS {
                return None;
            }
        }
    }
    (value < MAX_MICROS || !dropped_nonzero).then_some(value)
}

fn parse_exponent(part: &[u8]) -> Option<i64> {
    let Some((_, rest)) = part.split_first() else {
        return Some(0);
    };
    let (negative, digits) = match rest.split_first() {
        Some((b'-', d)) => (true, d),
        Some((b'+', d)) => (false, d),
        _ => (false, rest),
    };
    let mut value: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        // Exponents this large put the value far outside the supported range
        // (or make it zero); clamp instead of overflowing.
        value = (value * 10 + i64::from(b - b'0')).min(1_000_000);
    }
    Some(if negative { -value } else { value })
}

/// The number of UTF-16 code units in `s`: Jackson (and so EventBridge)
/// counts columns and snippet lengths in Java chars.
pub(crate) fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micros_normalises_number_forms() {
        assert_eq!(micros("300"), Some(300_000_000));
        assert_eq!(micros("300.0"), Some(300_000_000));
        assert_eq!(micros("3.0e2"), Some(300_000_000));
        assert_eq!(micros("3E2"), Some(300_000_000));
        assert_eq!(micros("-0"), Some(0));
        assert_eq!(micros("0.1234567"), Some(123_456));
        assert_eq!(micros("-0.0000009"), Some(0));
        assert_eq!(micros("5e9"), Some(MAX_MICROS));
        assert_eq!(micros("-5000000000"), Some(-MAX_MICROS));
        assert_eq!(micros("5000000000.0000001"), None);
        assert_eq!(micros("5000000001"), None);
        assert_eq!(micros("1e400"), None);
        assert_eq!(micros("1e-400"), Some(0));
        assert_eq!(micros("123456789012345678901234567890"), None);
        assert_eq!(micros("0.000000000000000000000000001e30"), Some(1_000_000_000));
        assert_eq!(micros("-122.42485025893909"), Some(-122_424_850));
        assert_eq!(micros("5000000000.0000000"), Some(MAX_MICROS));
        assert_eq!(micros("0005.5"), Some(5_500_000));
        assert_eq!(micros("1.5x"), None);
    }

    #[test]
    fn scan_number_reports_jackson_style_errors() {
        assert_eq!(scan_number(b"12,", 0), Ok((2, false)));
        assert_eq!(scan_number(b"-1.5e+3]", 0), Ok((7, true)));
        assert_eq!(scan_number(b"-x", 0), Err((NumError::MinusNoDigit('x'), 2)));
        assert_eq!(scan_number(b"01", 0), Err((NumError::LeadingZero, 2)));
        assert_eq!(scan_number(b"1.}", 0), Err((NumError::DecimalNoDigit('}'), 3)));
        assert_eq!(scan_number(b"1e", 0), Err((NumError::Eof, 2)));
        assert_eq!(scan_number(b"1e+a", 0), Err((NumError::ExponentNoDigit('a'), 4)));
    }

    #[test]
    fn decode_string_handles_escapes_and_errors() {
        let mut out = String::new();
        assert_eq!(decode_string(r#"a\"b\u00e9\ud83d\ude00" tail"#, 0, &mut out), Ok(23));
        assert_eq!(out, "a\"bé😀");
        out.clear();
        assert_eq!(decode_string(r#"\ud800x""#, 0, &mut out), Ok(8));
        assert_eq!(out, "\u{fffd}x");
        assert_eq!(decode_string(r"a\d", 0, &mut out), Err((StrError::BadEscape('d'), 3)));
        assert_eq!(decode_string("a\nb\"", 0, &mut out), Err((StrError::Control(b'\n'), 2)));
        assert_eq!(decode_string("abc", 0, &mut out), Err((StrError::Eof, 3)));
        assert_eq!(decode_string(r"\u12G4", 0, &mut out), Err((StrError::BadHex('G'), 5)));
    }
}
