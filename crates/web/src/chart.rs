//! Consumption as a bar chart the server draws in SVG: the browser needs no chart library to
//! read it, and the same figures follow as a table for screen readers.

use crate::render::esc;

/// One bar: its label (a local time or day, already in the reader's form) and its energy in
/// Wh; `None` where no interval was usable, drawn as a gap.
pub struct Bar {
    /// What the bar stands for.
    pub label: String,
    /// Its energy.
    pub wh: Option<i64>,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 64.0;
const BOTTOM: f64 = 28.0;

/// The chart: `title` is its accessible name; `axis` the y axis unit text.
pub fn bars(title: &str, axis: &str, bars: &[Bar], kwh: impl Fn(i64) -> String) -> String {
    let max = bars.iter().filter_map(|b| b.wh).max().unwrap_or(0).max(1);
    let plot_w = WIDTH - LEFT - 8.0;
    let plot_h = HEIGHT - BOTTOM - 8.0;
    let step = plot_w / bars.len().max(1) as f64;
    let mut svg = format!(
        "<svg class=\"chart\" role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title id=\"chart-title\">{}</title>",
        esc(title)
    );
    // Axis: zero, the maximum, the unit.
    svg.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" class=\"axis\"/>\
         <text x=\"{tx}\" y=\"{y0}\" class=\"tick\" text-anchor=\"end\">0</text>\
         <text x=\"{tx}\" y=\"16\" class=\"tick\" text-anchor=\"end\">{top}</text>\
         <text x=\"4\" y=\"{mid}\" class=\"tick\">{axis}</text>",
        y0 = HEIGHT - BOTTOM,
        x1 = WIDTH - 8.0,
        tx = LEFT - 4.0,
        top = esc(&kwh(max)),
        mid = HEIGHT / 2.0,
        axis = esc(axis),
    ));
    for (i, bar) in bars.iter().enumerate() {
        let Some(wh) = bar.wh else { continue };
        let h = (wh.max(0) as f64 / max as f64) * plot_h;
        svg.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" class=\"bar\"><title>{}: {}</title></rect>",
            LEFT + i as f64 * step + step * 0.1,
            HEIGHT - BOTTOM - h,
            (step * 0.8).max(0.5),
            h,
            esc(&bar.label),
            esc(&kwh(wh)),
        ));
    }
    // The first and last labels under the axis, so the time span reads at a glance.
    if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
        svg.push_str(&format!(
            "<text x=\"{LEFT}\" y=\"{y}\" class=\"tick\">{}</text>\
             <text x=\"{x}\" y=\"{y}\" class=\"tick\" text-anchor=\"end\">{}</text>",
            esc(&first.label),
            esc(&last.label),
            y = HEIGHT - 8.0,
            x = WIDTH - 8.0,
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_usable_value_is_a_bar_scaled_to_the_largest_and_gaps_stay_gaps() {
        let data = [
            Bar { label: "1".into(), wh: Some(500) },
            Bar { label: "2".into(), wh: None },
            Bar { label: "<3>".into(), wh: Some(1000) },
        ];
        let svg = bars("Consumption", "kWh", &data, |wh| format!("{wh} Wh"));
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        assert!(svg.contains("height=\"204.0\""), "the largest bar fills the plot: {svg}");
        assert!(svg.contains("height=\"102.0\""), "half of it: {svg}");
        assert!(svg.contains("&lt;3&gt;") && !svg.contains("<3>"), "{svg}");
        assert!(
            svg.contains("role=\"img\"") && svg.contains("<title id=\"chart-title\">Consumption</title>")
        );
    }
}
