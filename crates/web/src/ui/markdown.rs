//! Advice articles' Markdown as HTML. Raw HTML in an article is shown as text, never as markup:
//! articles are written by staff, but the page must not trust them with script.

use pulldown_cmark::{Event, Options, Parser, html};

pub fn to_html(markdown: &str) -> String {
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_raw_html_is_escaped() {
        let h = to_html("**少盐**\n\n- 每天 5 克\n\n<script>alert(1)</script>");
        assert!(h.contains("<strong>少盐</strong>"), "{h}");
        assert!(h.contains("<li>每天 5 克</li>"), "{h}");
        assert!(!h.contains("<script>"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }
}
