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

/// Vertical columns, one per bin (a distribution). A bin whose count is
/// masked (`None`: 1–4, small-count disclosure control) is drawn as an
/// outline at the height of 5 and labelled `<5`.
pub(crate) fn histogram(title: &str, bins: &[(String, Option<i64>)], colour: &str) -> String {
    let max = bins
        .iter()
        .map(|(_, v)| v.unwrap_or(5))
        .max()
        .unwrap_or(0)
        .max(1);
    let (left, top, plot_h, width) = (20.0, 20.0, 200.0, 860.0);
    let col_w = (width - 2.0 * left) / bins.len().max(1) as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {}\" role=\"img\" aria-label=\"{}\" class=\"chart\">",
        top + plot_h + 60.0,
        esc(title)
    );
    for (i, (label, v)) in bins.iter().enumerate() {
        let x = left + col_w * i as f64;
        let n = v.unwrap_or(5);
        let h = plot_h * n as f64 / max as f64;
        let y = top + plot_h - h;
        let shown = v.map_or_else(|| "<5".to_string(), |n| n.to_string());
        if n > 0 {
            let style = match v {
                Some(_) => format!("fill=\"{colour}\""),
                None => format!("fill=\"none\" stroke=\"{colour}\" stroke-dasharray=\"4 3\""),
            };
            s.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" {style}><title>{}: {}</title></rect>",
                x + 2.0,
                (col_w - 4.0).max(1.0),
                esc(label),
                esc(&shown)
            ));
        }
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"value\">{}</text>",
            x + col_w / 2.0,
            y - 4.0,
            esc(&shown)
        ));
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" transform=\"rotate(-35 {:.1} {:.1})\" class=\"axis\">{}</text>",
            x + col_w / 2.0,
            top + plot_h + 16.0,
            x + col_w / 2.0,
            top + plot_h + 16.0,
            esc(label)
        ));
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars of real values (a ratio such as Ti/Tv, a mean), each
/// labelled with its value to `decimals` places; a group without a value
/// (`None`) gets a dash and no bar.
pub(crate) fn value_bars(
    title: &str,
    rows: &[(String, Option<f64>)],
    colour: &str,
    decimals: usize,
) -> String {
    let max = rows
        .iter()
        .filter_map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let (label_w, bar_w, row_h, top) = (300.0, 480.0, 34.0, 10.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 860 {}\" role=\"img\" aria-label=\"{}\" class=\"chart\">",
        top + row_h * rows.len() as f64 + 10.0,
        esc(title)
    );
    for (i, (name, v)) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"axis\">{}</text>",
            label_w - 8.0,
            y + 19.0,
            esc(name)
        ));
        let w = v.map_or(0.0, |v| bar_w * v / max);
        let shown = v.map_or_else(|| "—".to_string(), |v| format!("{v:.decimals$}"));
        if w > 0.0 {
            s.push_str(&format!(
                "<rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"24\" fill=\"{colour}\"><title>{}: {shown}</title></rect>",
                esc(name)
            ));
        }
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" class=\"value\">{shown}</text>",
            label_w + w + 6.0,
            y + 18.0
        ));
    }
    s.push_str("</svg>");
    s
}

/// One point of a scatter plot: x, y, its class (a CSS colour from
/// `colours`) and a tooltip.
pub(crate) struct Point {
    pub x: f64,
    pub y: f64,
    pub class: usize,
    pub label: String,
}

/// A scatter plot's axes: labels and ranges.
pub(crate) struct Axes<'a> {
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
}

/// A scatter plot (the identity page's kinship against IBS0, as somalier
/// draws it): axes with ticks, horizontal guide lines at `guides` (value,
/// label), one colour per class with a legend, a tooltip per point.
pub(crate) fn scatter(
    title: &str,
    axes: &Axes<'_>,
    guides: &[(f64, &str)],
    classes: &[Series<'_>],
    points: &[Point],
) -> String {
    let (x_label, y_label, x_range, y_range) =
        (axes.x_label, axes.y_label, axes.x_range, axes.y_range);
    let (left, top, w, h) = (60.0, 20.0, 760.0, 320.0);
    let sx = |x: f64| left + w * (x - x_range.0) / (x_range.1 - x_range.0);
    let sy = |y: f64| {
        top + h - h * (y.clamp(y_range.0, y_range.1) - y_range.0) / (y_range.1 - y_range.0)
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 880 {}\" role=\"img\" aria-label=\"{}\" class=\"chart scatter\">",
        top + h + 70.0,
        esc(title)
    );
    s.push_str(&format!(
        "<rect x=\"{left}\" y=\"{top}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#999\"/>"
    ));
    for i in 0..=4 {
        let x = x_range.0 + (x_range.1 - x_range.0) * f64::from(i) / 4.0;
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"axis\">{x:.2}</text>",
            sx(x),
            top + h + 16.0
        ));
        let y = y_range.0 + (y_range.1 - y_range.0) * f64::from(i) / 4.0;
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" class=\"axis\">{y:.2}</text>",
            left - 6.0,
            sy(y) + 4.0
        ));
    }
    for (v, label) in guides {
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#bbb\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"{:.1}\" class=\"axis\" text-anchor=\"end\">{}</text>",
            left + w,
            left + w - 4.0,
            sy(*v) - 3.0,
            esc(label),
            y = sy(*v)
        ));
    }
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" class=\"axis\">{}</text>",
        left + w / 2.0,
        top + h + 36.0,
        esc(x_label)
    ));
    s.push_str(&format!(
        "<text x=\"14\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\" class=\"axis\">{}</text>",
        top + h / 2.0,
        top + h / 2.0,
        esc(y_label)
    ));
    // the expected classes last, so a swap drawn over the crowd stays visible
    let mut order: Vec<&Point> = points.iter().collect();
    order.sort_by_key(|p| std::cmp::Reverse(p.class));
    for p in order {
        let colour = classes.get(p.class).map_or("#888", |c| c.colour);
        s.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{colour}\" fill-opacity=\"0.75\" class=\"point c{}\"><title>{}</title></circle>",
            sx(p.x.clamp(x_range.0, x_range.1)),
            sy(p.y),
            p.class,
            esc(&p.label)
        ));
    }
    let mut lx = left;
    for (i, c) in classes.iter().enumerate() {
        let n = points.iter().filter(|p| p.class == i).count();
        s.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{:.1}\" class=\"legend\">{} ({n})</text>",
            lx + 5.0,
            top + h + 56.0,
            c.colour,
            lx + 14.0,
            top + h + 60.0,
            esc(c.label)
        ));
        lx += 240.0;
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

    #[test]
    fn masked_bins_show_less_than_five_and_no_count() {
        let svg = histogram(
            "h",
            &[("0–10".into(), Some(12)), ("10–20".into(), None)],
            "#000",
        );
        assert!(svg.contains("&lt;5"), "{svg}");
        assert!(svg.contains(">12<"));
        assert!(svg.contains("stroke-dasharray"));
        let r = value_bars(
            "r",
            &[("a".into(), Some(2.0)), ("b".into(), None)],
            "#000",
            2,
        );
        assert!(
            r.contains(">2.00<") && r.contains("width=\"480.0\"") && r.contains(">—<"),
            "{r}"
        );
    }
}
