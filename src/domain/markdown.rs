//! Member-written Markdown becomes sanitised HTML once, on write.
use pulldown_cmark::{html, Options, Parser};

pub fn render(source: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TABLES);
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(source, options));
    sanitize(&out)
}

/// Text made safe to put in HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Cleans HTML from members or remote servers: safe tags only, links get `rel="nofollow noopener"`.
pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default().link_rel(Some("nofollow noopener noreferrer")).clean(html).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_are_removed() {
        let html = super::render("hello <script>alert(1)</script> **world**");
        assert!(!html.contains("<script"));
        assert!(html.contains("<strong>world</strong>"));
    }
}
