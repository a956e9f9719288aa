//! Where a portal redirect may send the browser: same-site paths only.

/// `next` if it is a path on this site, `None` otherwise.
///
/// A browser forgives a lot in a `Location`: it drops tabs and newlines
/// (`/\t/evil.com` becomes `//evil.com`, another host), reads `\` as `/`, and
/// a header cannot carry CR/LF at all. So the path must start with exactly
/// one `/`, and neither it nor its percent-decoded form may hold a control
/// character, whitespace or a backslash, or start with `//`.
pub(crate) fn same_site(next: &str) -> Option<&str> {
    fn plain(p: &str) -> bool {
        p.starts_with('/')
            && !p.starts_with("//")
            && !p
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    }
    let decoded = percent_decode(next)?;
    (next.len() <= 2048 && plain(next) && plain(&decoded)).then_some(next)
}

/// One round of `%XX` decoding; `None` if the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::same_site;

    #[test]
    fn local_paths_pass() {
        for ok in [
            "/",
            "/public",
            "/portal/participants?q=ab&page=2",
            "/hpo?q=%E8%82%BA",
        ] {
            assert_eq!(same_site(ok), Some(ok), "{ok}");
        }
    }

    #[test]
    fn other_sites_and_header_breakers_are_refused() {
        for bad in [
            "",
            "public",
            "//evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            "/\r\nX:1",
            "/ /evil.com",
            "/\u{a0}/evil.com",
            "/%09/evil.com",
            "/%2F/evil.com",
            "/%2f%2fevil.com",
            "/%5Cevil.com",
            "/%0d%0aX:1",
            "/%00",
            "https://evil.com",
            "/%FF",
        ] {
            assert_eq!(same_site(bad), None, "{bad:?}");
        }
    }
}
