//! `?`: every key, in a box over the current view, made from the key map
//! ([`crate::tui::keys::ROWS`]); it scrolls when the screen is too short for it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

use crate::tui::app::App;
use crate::tui::keys::{Mode, ROWS};
use crate::tui::widgets;

const NOTE: &str = "Numbers: rows; % of delivery attempts (d+t+tq+b+rb). Times UTC.";

/// The box's width on a screen `w` wide.
fn box_width(w: u16) -> u16 {
    w.min(100)
}

/// Lines inside the box on a screen `h` high.
pub fn inner_height(h: u16) -> u16 {
    h.saturating_sub(2)
}

/// What a line of the help is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Title,
    Keys,
    Note,
}

/// One line of the help: (keys, what, kind).
type HelpLine = (String, String, Kind);

/// The help's lines for a box `inner` columns wide: a title per mode, each row's keys and what
/// they do (both wrapped, never cut), the note on numbers.
fn help_lines(inner: usize) -> (usize, Vec<HelpLine>) {
    let widest = ROWS
        .iter()
        .map(|r| r.label().chars().count())
        .max()
        .unwrap_or(0);
    let kw = widest.min(inner * 2 / 5).max(6);
    let ww = inner.saturating_sub(kw + 1).max(10);
    let mut out = Vec::new();
    for mode in [Mode::Views, Mode::Prompt, Mode::Help] {
        if !out.is_empty() {
            out.push((String::new(), String::new(), Kind::Note));
        }
        for l in widgets::wrap(mode.title(), inner) {
            out.push((l, String::new(), Kind::Title));
        }
        for r in ROWS.iter().filter(|r| r.mode == mode) {
            let keys = widgets::wrap(&r.label(), kw);
            let what = widgets::wrap(r.help, ww);
            for i in 0..keys.len().max(what.len()) {
                out.push((
                    keys.get(i).cloned().unwrap_or_default(),
                    what.get(i).cloned().unwrap_or_default(),
                    Kind::Keys,
                ));
            }
        }
    }
    out.push((String::new(), String::new(), Kind::Note));
    for l in widgets::wrap(NOTE, inner) {
        out.push((String::new(), l, Kind::Note));
    }
    (kw, out)
}

/// How many lines the help has on a screen `w` wide.
pub fn lines(w: u16) -> usize {
    help_lines(box_width(w).saturating_sub(2) as usize).1.len()
}

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let w = box_width(area.width);
    let (kw, all) = help_lines(w.saturating_sub(2) as usize);
    let h = (all.len() as u16 + 2).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    let room = h.saturating_sub(2) as usize;
    let from = app.help_scroll.min(all.len().saturating_sub(room));
    let title = if all.len() > room {
        format!(
            " Keys {}-{} of {} · ↑↓ scroll · any other key closes ",
            from + 1,
            (from + room).min(all.len()),
            all.len()
        )
    } else {
        " Keys · any key closes ".to_string()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(t.key());
    let inner = block.inner(r);
    block.render(r, buf);
    for (y, (keys, what, kind)) in all.iter().skip(from).take(room).enumerate() {
        let line = match kind {
            Kind::Title => Line::from(Span::styled(keys.clone(), t.header())),
            Kind::Note => Line::from(Span::styled(what.clone(), t.dim())),
            Kind::Keys => Line::from(vec![
                Span::styled(format!("{keys:<kw$} "), t.key()),
                Span::raw(what.clone()),
            ]),
        };
        widgets::line(buf, inner, y as u16, &line);
    }
}
