//! Which characters a business may put in what its customers read: names,
//! labels, greetings. Control characters (NUL, escape sequences, CR/LF in a
//! one-line field), the bidirectional overrides and isolates that make text
//! display other than it is stored, and the line and paragraph separators
//! are refused.

/// Whether `c` may never stand in a one-line text.
fn forbidden_in_a_line(c: char) -> bool {
    c.is_control()
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        || c == '\u{2028}'
        || c == '\u{2029}'
}

/// The first character of `value` that is refused, as `U+001B` for a
/// message. `multiline` allows line breaks and tabs.
pub fn forbidden_character(value: &str, multiline: bool) -> Option<String> {
    value
        .chars()
        .find(|c| forbidden_in_a_line(*c) && !(multiline && matches!(c, '\n' | '\t')))
        .map(|c| format!("U+{:04X}", u32::from(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_overrides_and_breaks_are_found() {
        assert_eq!(forbidden_character("Rosa's Pizzeria", false), None);
        assert_eq!(
            forbidden_character("a\u{1b}[31m", false).as_deref(),
            Some("U+001B")
        );
        assert_eq!(
            forbidden_character("gpj\u{202E}.exe", false).as_deref(),
            Some("U+202E")
        );
        assert_eq!(
            forbidden_character("two\nlines", false).as_deref(),
            Some("U+000A")
        );
        assert_eq!(forbidden_character("two\nlines\tok", true), None);
        assert_eq!(
            forbidden_character("nul\0", true).as_deref(),
            Some("U+0000")
        );
    }
}
