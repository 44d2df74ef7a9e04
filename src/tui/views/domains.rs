//! View 4, Domains: rolled-up destinations (every Microsoft consumer domain counts under
//! outlook.com); a rollup expands to its member domains with their own numbers. ←/→ on the
//! name expand and collapse, elsewhere they move the column cursor; Enter opens a cell's rows.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::senders::{enter_note, line_cells, line_cols, sorted_col};
use super::table_area;
use crate::fmt::thousands;
use crate::tui::app::{App, Cursor, View};
use crate::tui::widgets;
use crate::tui::widgets::table::Table;

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let d = &app.derived;
    let s = &app.views.domains;
    let rollups = d.domains.iter().filter(|r| r.is_rollup()).count();
    let list = s.list;
    let n = d.domains.len();
    super::note_line(
        app,
        area,
        buf,
        &super::with_sort(
            vec![
                format!(
                    "{} destination{}, {} rollup{} (→ expand ← collapse)",
                    thousands(n as u64),
                    if n == 1 { "" } else { "s" },
                    thousands(rollups as u64),
                    if rollups == 1 { "" } else { "s" },
                ),
                enter_note(app),
            ],
            app.sort_note(View::Domains),
        ),
        Some((list.sel(), d.domain_lines.len())),
    );
    let table = table_area(area);
    if d.domains.is_empty() {
        widgets::text(buf, table, 0, &super::empty_note(app, "rows"), t.text());
        return;
    }
    let h = table.height.saturating_sub(1) as usize;
    let from = list.visible_from(h);
    let rows = d
        .domain_lines
        .iter()
        .skip(from)
        .take(h)
        .filter_map(|&(i, m)| {
            let r = d.domains.get(i)?;
            Some(match m {
                None => {
                    let mark = if !r.is_rollup() {
                        "  "
                    } else if s.expanded.contains(&r.line.key) {
                        "▾ "
                    } else {
                        "▸ "
                    };
                    let name = if r.is_rollup() {
                        format!(
                            "{mark}{} ({})",
                            r.line.key,
                            thousands(r.members.len() as u64)
                        )
                    } else {
                        format!("{mark}{}", r.line.key)
                    };
                    line_cells(app, &name, &r.line)
                }
                Some(m) => {
                    let l = r.members.get(m)?;
                    line_cells(app, &format!("    {}", l.key), l)
                }
            })
        })
        .collect();
    Table {
        cols: line_cols(app, "destination"),
        rows,
        selected: Some(list.sel() - from),
        sorted: Some(sorted_col(s.sort)),
        widths: Some(d.domain_widths.clone()),
        column: list.selected_column(),
        theme: t,
    }
    .render(table, buf);
}
