//! Charts drawn on the server as inline SVG: no script, so the strict CSP
//! holds, and the numbers are in the page for screen readers too.

/// Escapes text for SVG/XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One series: its legend label and colour.
pub(crate) struct Series<'a> {
    pub label: &'a str,
    pub colour: &'a str,
}

/// Horizontal stacked bars: one bar per group, one segment per series.
pub(crate) fn stacked_bars(
    title: &str,
    groups: &[(String, Vec<i64>)],
    series: &[Series<'_>],
) -> String {
    let max = groups
        .iter()
        .map(|(_, v)| v.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let label_w = 300.0;
    let bar_w = 480.0;
    let row_h = 34.0;
    let top = 40.0;
    let height = top + row_h * groups.len() as f64 + 20.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 860 {height}\" role=\"img\" aria-label=\"{}\" class=\"chart\">",
        esc(title)
    );
    // legend
    let mut x = label_w;
    for se in series {
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"8\" width=\"14\" height=\"14\" fill=\"{}\"/><text x=\"{}\" y=\"20\" class=\"legend\">{}</text>",
            se.colour,
            x + 20.0,
            esc(se.label)
        ));
        x += 30.0 + 9.0 * se.label.chars().count() as f64 + 20.0;
    }
    for (i, (name, values)) in groups.iter().enumerate() {
        let y = top + row_h * i as f64;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"axis\">{}</text>",
            label_w - 8.0,
            y + 19.0,
            esc(name)
        ));
        let mut x = label_w;
        for (v, se) in values.iter().zip(series) {
            let w = bar_w * (*v as f64) / (max as f64);
            if w > 0.0 {
                s.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"24\" fill=\"{}\"><title>{}: {}</title></rect>",
                    se.colour,
                    esc(se.label),
                    v
                ));
            }
            x += w;
        }
        let total: i64 = values.iter().sum();
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" class=\"value\">{total}</text>",
            x + 6.0,
            y + 18.0
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scale() {
        let svg = stacked_bars(
            "t<",
            &[("A&B".into(), vec![2, 2]), ("C".into(), vec![1, 0])],
            &[
                Series {
                    label: "x",
                    colour: "#000",
                },
                Series {
                    label: "y",
                    colour: "#111",
                },
            ],
        );
        assert!(svg.contains("A&amp;B"));
        assert!(svg.contains("aria-label=\"t&lt;\""));
        assert!(svg.contains("width=\"240.0\""), "{svg}");
        assert!(!svg.contains("<script"));
    }
}
