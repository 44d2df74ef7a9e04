//! `?`: every key, in a box over the current view.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Widget};

use crate::tui::app::App;
use crate::tui::widgets;

const KEYS: &[(&str, &str)] = &[
    (
        "1..7 Tab S-Tab",
        "views: Overview Codes Senders Domains Conn. Timeline Rows",
    ),
    ("↑↓ j k PgUp PgDn", "move; Home / End: first / last"),
    (
        "Enter",
        "drill down: rows of the selected code, sender, domain",
    ),
    ("⌫ Backspace", "back to the filter and view before"),
    (
        "/",
        "filter (--where language), e.g. code=RP-002 ip=192.0.2.1",
    ),
    ("Esc", "clear the filter; close prompt, help, row"),
    ("s / r", "sort by the next column / reverse"),
    ("g", "Senders: group by VMTA, sending IP or pool"),
    ("→ ← space", "Domains: expand / collapse a rollup"),
    (
        "n / N",
        "Timeline: next / previous burst (RP-002 by default)",
    ),
    ("m, z", "Timeline: mark a span, zoom to it (or the burst)"),
    ("Enter (Rows)", "every field of the selected row"),
    ("p", "pause / resume --follow"),
    ("q Ctrl-C", "quit"),
];

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let w = area.width.min(78);
    let h = (KEYS.len() as u16 + 4).min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    Clear.render(r, buf);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Keys · any key closes ")
        .border_style(t.key());
    let inner = block.inner(r);
    block.render(r, buf);
    let kw = 17;
    for (i, (k, what)) in KEYS.iter().enumerate() {
        widgets::line(
            buf,
            inner,
            i as u16,
            &Line::from(vec![
                Span::styled(format!("{k:<kw$}"), t.key()),
                Span::raw(widgets::fit(
                    what,
                    (inner.width as usize).saturating_sub(kw),
                )),
            ]),
        );
    }
    widgets::text(
        buf,
        inner,
        KEYS.len() as u16 + 1,
        "Numbers: rows; % of delivery attempts (d+t+tq+b+rb). Times UTC.",
        t.dim(),
    );
}
