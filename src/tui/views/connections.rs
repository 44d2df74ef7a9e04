//! View 5, Connections: the connection budget per destination (pool size x max-smtp-out from the
//! `PowerMTA` config, against the connections observed). It needs the config, which this version
//! does not read yet, so the view says what it needs and what it will show instead of guessing.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::tui::app::App;
use crate::tui::widgets::{self, wrap};

const TEXT: &[&str] = &[
    "Connection budget: needs your PowerMTA config.",
    "",
    "This view will compare, per destination (outlook.com and the rest), the connections your \
     pools may open with the connections the logs show: pool size x max-smtp-out from the \
     config (for example 10 IPs x 6 = 60 connections to Microsoft) against the connections \
     observed, with how close each VMTA came to its limit around the RP-002 bursts.",
    "",
    "It needs the PowerMTA config (/etc/pmta/config, or --config PATH), which this version does \
     not read yet. Until it does, no numbers are shown here rather than guessed ones.",
    "",
    "Meanwhile: RP-002 deferrals per minute are in Timeline (6), and per VMTA and sending IP in \
     Senders (3).",
];

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let mut y = 1;
    for (i, para) in TEXT.iter().enumerate() {
        let style = if i == 0 { t.header() } else { t.text() };
        if para.is_empty() {
            y += 1;
            continue;
        }
        for l in wrap(para, area.width.saturating_sub(4) as usize) {
            widgets::text(buf, area, y, &format!("  {l}"), style);
            y += 1;
        }
    }
}
