//! Advice articles' Markdown as HTML. Raw HTML in an article is shown as text, never as markup:
//! articles are written by staff, but the page must not trust them with script. Links go only to
//! web, mail and telephone addresses or to this site (a `javascript:` or `data:` link keeps its
//! text and loses the link), and images come only from this site (a remote image would tell
//! another server who read the advice): the page's CSP blocks both, and this does not rely on it.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// A link target a reader may follow.
fn safe_link(dest: &str) -> bool {
    let d = dest.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:", "tel:"]
        .iter()
        .any(|s| d.starts_with(s))
        || (d.starts_with('/') && !d.starts_with("//"))
        || d.starts_with('#')
}

/// An image this site serves itself.
fn own_image(dest: &str) -> bool {
    let d = dest.trim();
    d.starts_with('/') && !d.starts_with("//") && !d.contains('\\')
}

pub fn to_html(markdown: &str) -> String {
    // Links and images do not nest, so one flag each says whether the open one was dropped.
    let (mut dropped_link, mut dropped_image) = (false, false);
    let events =
        Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).filter_map(|e| match e {
            Event::Html(t) | Event::InlineHtml(t) => Some(Event::Text(t)),
            Event::Start(Tag::Link { ref dest_url, .. }) if !safe_link(dest_url) => {
                dropped_link = true;
                None
            }
            Event::End(TagEnd::Link) if dropped_link => {
                dropped_link = false;
                None
            }
            Event::Start(Tag::Image { ref dest_url, .. }) if !own_image(dest_url) => {
                dropped_image = true;
                None
            }
            Event::End(TagEnd::Image) if dropped_image => {
                dropped_image = false;
                None
            }
            other => Some(other),
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

    #[test]
    fn only_web_mail_phone_and_own_links_and_own_images_survive() {
        let h = to_html(
            "[点我](javascript:alert(1)) [数据](data:text/html,x) [大写](JAVASCRIPT:alert(1)) [指南](https://www.nhc.gov.cn/) [电话](tel:12320) [本站](/advice/1)\n\n![追踪](https://evil.example/pixel.png) ![图](/static/bp.png)",
        );
        assert!(
            !h.to_ascii_lowercase().contains("javascript:") && !h.contains("data:"),
            "{h}"
        );
        assert!(
            h.contains("点我") && h.contains("数据") && h.contains("大写"),
            "the text stays: {h}"
        );
        assert!(h.contains(r#"<a href="https://www.nhc.gov.cn/">指南</a>"#), "{h}");
        assert!(
            h.contains(r#"<a href="tel:12320">电话</a>"#) && h.contains(r#"<a href="/advice/1">本站</a>"#),
            "{h}"
        );
        assert!(!h.contains("evil.example") && h.contains("追踪"), "{h}");
        assert!(h.contains(r#"<img src="/static/bp.png" alt="图""#), "{h}");
    }
}
