//! View 2, Codes: every response code with provider, kind, count, share, first/last seen,
//! meaning and action; the selected code's meaning and action in full below the table.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::fmt::thousands;
use crate::tui::app::{App, CODE_SORTS, View};
use crate::tui::widgets::table::{Col, Table};
use crate::tui::widgets::{self, hms, pct, wrap};

/// (note line, table with header, detail pane) of the body.
pub fn areas(body: Rect) -> (Rect, Rect, Rect) {
    let detail_h = if body.height >= 32 { 9 } else { 6 };
    let detail_h = detail_h.min(body.height.saturating_sub(4));
    let table_h = body.height.saturating_sub(1 + detail_h);
    (
        Rect {
            height: 1.min(body.height),
            ..body
        },
        Rect {
            y: body.y + 1,
            height: table_h,
            ..body
        },
        Rect {
            y: body.y + 1 + table_h,
            height: detail_h,
            ..body
        },
    )
}

pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.ctx.theme;
    let (note, table, detail) = areas(area);
    let d = &app.derived;
    let sort = app.sorts[View::Codes.index()];
    let list = app.lists[View::Codes.index()];
    super::note_line(
        app,
        note,
        buf,
        &[
            format!(
                "{} codes in {} deferral and bounce rows",
                thousands(d.codes.len() as u64),
                thousands(d.responses),
            ),
            format!("s/r sort ({})", CODE_SORTS[sort.col]),
            "Enter: rows".into(),
        ],
        Some((list.selected, d.codes.len())),
    );
    if d.codes.is_empty() {
        widgets::text(
            buf,
            table,
            0,
            &if app.data.complete && app.data.aggregates.records > 0 {
                "No deferral or bounce rows: nothing to classify.".to_string()
            } else {
                super::empty_note(app, "codes")
            },
            t.text(),
        );
        return;
    }
    let h = table.height.saturating_sub(1) as usize;
    let from = list.visible_from(h);
    let md = d.multi_day;
    let rows = d
        .codes
        .iter()
        .skip(from)
        .take(h)
        .map(|c| {
            let sev = c.info.severity.map_or(t.text(), |s| t.severity(s));
            vec![
                (c.name.clone(), sev),
                (c.info.provider.unwrap_or("-").to_string(), t.text()),
                (
                    c.info.kind.map_or("-", |k| k.as_str()).to_string(),
                    t.text(),
                ),
                (thousands(c.total()), t.text()),
                (pct(c.total(), d.responses), t.text()),
                (c.counts.first().map_or("-".into(), |x| hms(x, md)), t.dim()),
                (c.counts.last().map_or("-".into(), |x| hms(x, md)), t.dim()),
                (c.info.meaning.unwrap_or("").to_string(), t.text()),
            ]
        })
        .collect();
    let sorted_col = match sort.col {
        1 => 0,
        2 => 1,
        3 => 5,
        4 => 6,
        _ => 3,
    };
    Table {
        cols: vec![
            Col::left("code", 18, 0),
            Col::left("provider", 10, 3),
            Col::left("kind", 8, 2),
            Col::right("rows", 11, 0),
            Col::right("share", 6, 1),
            Col::left("first", 14, 4),
            Col::left("last", 14, 4),
            Col::left("meaning", 200, 0).grow(14),
        ],
        rows,
        selected: Some(list.selected - from),
        sorted: Some((sorted_col, sort.reverse)),
        theme: t,
    }
    .render(table, buf);
    // The selected code in full.
    let Some(c) = d.codes.get(list.selected) else {
        return;
    };
    let w = detail.width as usize;
    widgets::rule(buf, detail, 0, &format!("{} in full", c.name), t.dim());
    let mut lines: Vec<Line> = Vec::new();
    let mut head = vec![Span::styled(
        c.name.clone(),
        c.info.severity.map_or(t.header(), |s| t.severity(s)),
    )];
    for part in [
        c.info.provider.map(str::to_string),
        c.info.kind.map(|k| k.as_str().to_string()),
        c.info.severity.map(|s| s.as_str().to_string()),
        Some(format!(
            "{} rows ({} of deferrals and bounces)",
            thousands(c.total()),
            pct(c.total(), d.responses)
        )),
    ]
    .into_iter()
    .flatten()
    {
        head.push(Span::raw(format!(" · {part}")));
    }
    lines.push(Line::from(head));
    let mut labelled = |label: &str, text: &str, style| {
        for (i, l) in wrap(text, w.saturating_sub(9)).into_iter().enumerate() {
            let lab = if i == 0 {
                format!("{label:<9}")
            } else {
                " ".repeat(9)
            };
            lines.push(Line::from(vec![
                Span::styled(lab, t.key()),
                Span::styled(l, style),
            ]));
        }
    };
    labelled(
        "Meaning",
        c.info
            .meaning
            .unwrap_or("not in the rule table: see the response text in Rows (7)"),
        t.text(),
    );
    labelled(
        "Action",
        c.info.action.unwrap_or("no action known for this code"),
        t.header(),
    );
    for (i, l) in lines
        .iter()
        .take(detail.height.saturating_sub(1) as usize)
        .enumerate()
    {
        widgets::line(buf, detail, 1 + i as u16, l);
    }
}
