//! Charts as hand-written SVG: drawn on the server, so Chinese text is
//! rendered by the reader's browser and no script library is shipped.

use std::fmt::Write;

/// One line of a trend chart: a label, a colour and a value (per mille) per point.
pub struct Series {
    pub label: String,
    pub colour: &'static str,
    pub values: Vec<Option<i64>>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A 0–100 % line chart over `labels` (e.g. months) with dashed target lines.
pub fn trend(labels: &[String], series: &[Series], targets: &[(i64, &'static str)], title: &str) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 300.0, 44.0, 12.0, 28.0, 64.0);
    let (pw, ph) = (w - left - right, h - top - bottom);
    let n = labels.len().max(2) as f64;
    let x = |i: usize| left + pw * i as f64 / (n - 1.0);
    let y = |permille: i64| top + ph * (1.0 - permille.clamp(0, 1000) as f64 / 1000.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="{}" class="chart">"#,
        esc(title)
    );
    let _ = write!(s, r#"<text x="{left}" y="18" font-size="14" font-weight="bold">{}</text>"#, esc(title));
    for p in [0, 250, 500, 750, 1000] {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{y0:.1}" y2="{y0:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}%</text>"##,
            w - right,
            left - 4.0,
            y(p) + 4.0,
            p / 10,
            y0 = y(p)
        );
    }
    for (t, label) in targets {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{yt:.1}" y2="{yt:.1}" stroke="#b71c1c" stroke-dasharray="4 3"/><text x="{}" y="{:.1}" font-size="10" fill="#b71c1c" text-anchor="end">{}</text>"##,
            w - right,
            w - right,
            y(*t) - 3.0,
            esc(label),
            yt = y(*t)
        );
    }
    let step = (labels.len() / 12).max(1);
    for (i, l) in labels.iter().enumerate().filter(|(i, _)| i % step == 0 || *i + 1 == labels.len()) {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end" transform="rotate(-45 {:.1} {:.1})">{}</text>"#,
            x(i),
            h - bottom + 14.0,
            x(i),
            h - bottom + 14.0,
            esc(l)
        );
    }
    for (k, se) in series.iter().enumerate() {
        let pts: Vec<String> =
            se.values.iter().enumerate().filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v)))).collect();
        if !pts.is_empty() {
            let _ = write!(
                s,
                r#"<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
                se.colour,
                pts.join(" ")
            );
        }
        let lx = left + (k as f64) * 170.0;
        let _ = write!(
            s,
            r#"<rect x="{lx:.0}" y="{:.0}" width="12" height="4" fill="{}"/><text x="{:.0}" y="{:.0}" font-size="11">{}</text>"#,
            h - 12.0,
            se.colour,
            lx + 16.0,
            h - 8.0,
            esc(&se.label)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_lines_targets_and_escapes_text() {
        let labels: Vec<String> = (1..=3).map(|m| format!("2022-0{m}")).collect();
        let svg = trend(
            &labels,
            &[Series { label: "覆盖率<A>".into(), colour: "#2e7d32", values: vec![Some(500), None, Some(800)] }],
            &[(800, "目标 80%")],
            "趋势",
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert!(svg.contains("覆盖率&lt;A&gt;"));
        assert!(svg.contains("stroke-dasharray"));
        assert!(svg.contains(r#"points="44.0,132.0 708.0,69.6""#), "{svg}");
    }
}
