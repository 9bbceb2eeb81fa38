//! The one way the report draws: a plotters chart on an SVG string of a given size.

use plotters::coord::Shift;
use plotters::prelude::*;

/// Okabe and Ito's palette, told apart by people with any common colour vision; every use
/// also differs in shape or dash, so the charts read in grey too.
pub(super) const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
];

/// Ink for axes and neutral marks.
pub(super) const INK: RGBColor = RGBColor(40, 40, 40);
/// Light grey for guides and bands.
pub(super) const GUIDE: RGBColor = RGBColor(200, 200, 200);

/// The SVG that `paint` draws on a `width` x `height` canvas. A drawing error (none is
/// expected on a string backend) leaves what was drawn so far.
pub(super) fn draw(
    width: u32,
    height: u32,
    paint: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        if let Err(e) = paint(&root).and_then(|()| root.present().map_err(|e| e.to_string())) {
            tracing_error(&e);
        }
    }
    out
}

fn tracing_error(e: &str) {
    eprintln!("routing-eval: a chart of the HTML report is incomplete: {e}");
}

/// A plotters error as text, for `?` inside a paint closure.
pub(super) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}
