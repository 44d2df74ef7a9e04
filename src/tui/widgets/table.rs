//! A table drawn from the visible rows only, whose columns fit the width: columns are hidden by
//! priority (highest number first) until the rest fit, then the growing column takes the room.
//! A sortable table is given its columns' widths measured over every row (not only the visible
//! ones) and keeps a cell for the sort marker on every column, so sorting or scrolling never
//! moves a column.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::fit;
use crate::fmt::width as text_width;
use crate::tui::theme::Theme;

/// One column.
#[derive(Clone, Debug)]
pub struct Col {
    pub title: String,
    /// Widest the column gets (its content decides up to this).
    pub max: u16,
    pub right: bool,
    /// 0: never hidden; higher numbers are hidden first when the width is short.
    pub priority: u8,
    /// Takes the width left over; never narrower than `min` while other columns are shown.
    pub grow: bool,
    pub min: u16,
}

impl Col {
    pub fn left(title: &str, max: u16, priority: u8) -> Col {
        Col {
            title: title.to_string(),
            max,
            right: false,
            priority,
            grow: false,
            min: 0,
        }
    }

    pub fn right(title: &str, max: u16, priority: u8) -> Col {
        Col {
            right: true,
            ..Col::left(title, max, priority)
        }
    }

    #[must_use]
    /// Takes the width left over, keeping at least `min` columns.
    pub fn grow(mut self, min: u16) -> Col {
        self.grow = true;
        self.min = min;
        self
    }
}

/// One cell: text and style.
pub type Cell = (String, Style);

#[derive(Debug)]
pub struct Table {
    pub cols: Vec<Col>,
    /// The visible rows only.
    pub rows: Vec<Vec<Cell>>,
    /// Index in `rows` of the selected one.
    pub selected: Option<usize>,
    /// (column, reversed) the rows are sorted by, marked in the header.
    pub sorted: Option<(usize, bool)>,
    /// The widest cell of each column over every row (`None`: measured on the visible rows).
    pub widths: Option<Vec<u16>>,
    /// The column cursor: that cell of the selected row is marked.
    pub column: Option<usize>,
    pub theme: Theme,
}

/// Which columns are shown at `width`, given the widest cell of each (a sortable table).
pub fn shown(cols: &[Col], widths: &[u16], width: u16) -> Vec<bool> {
    let natural = natural(cols, |i| widths.get(i).copied().unwrap_or(0), true);
    hide(cols, &natural, width)
}

/// The width each column wants: its content and title (with the marker cell when `marker`),
/// within its bounds.
fn natural(cols: &[Col], content: impl Fn(usize) -> u16, marker: bool) -> Vec<u16> {
    cols.iter()
        .enumerate()
        .map(|(i, c)| {
            let title = cols_of(text_width(&c.title) + usize::from(marker));
            let w = content(i).max(title);
            if c.grow {
                w.min(c.max).min(c.min).max(title)
            } else {
                w.min(c.max)
            }
        })
        .collect()
}

/// Hides columns by priority until the rest fit `width`.
fn hide(cols: &[Col], natural: &[u16], width: u16) -> Vec<bool> {
    let mut shown: Vec<bool> = vec![true; cols.len()];
    loop {
        let used: u16 = shown
            .iter()
            .zip(natural)
            .filter(|(s, _)| **s)
            .map(|(_, w)| *w + GAP)
            .sum();
        if used <= width + GAP {
            break;
        }
        let drop = (0..cols.len())
            .filter(|i| shown[*i] && cols[*i].priority > 0)
            .max_by_key(|i| (cols[*i].priority, *i));
        match drop {
            Some(i) => shown[i] = false,
            None => break,
        }
    }
    shown
}

fn cols_of(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

const GAP: u16 = 1;

impl Table {
    /// The widest cell of column `i`: given, or over the visible rows.
    fn content(&self, i: usize) -> u16 {
        match &self.widths {
            Some(w) => w.get(i).copied().unwrap_or(0),
            None => self
                .rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|(s, _)| cols(text_width(s)))
                .max()
                .unwrap_or(0),
        }
    }

    /// The width each column gets (`None`: hidden).
    fn widths(&self, width: u16) -> Vec<Option<u16>> {
        // a sortable table keeps the marker's cell on every column: sorting moves nothing
        let natural = natural(&self.cols, |i| self.content(i), self.sorted.is_some());
        let shown = hide(&self.cols, &natural, width);
        let used: u16 = shown
            .iter()
            .zip(&natural)
            .filter(|(s, _)| **s)
            .map(|(_, w)| *w + GAP)
            .sum::<u16>()
            .saturating_sub(GAP);
        let mut spare = width.saturating_sub(used);
        let mut out: Vec<Option<u16>> = shown
            .iter()
            .zip(&natural)
            .map(|(s, w)| s.then_some(*w))
            .collect();
        for (i, c) in self.cols.iter().enumerate() {
            if let (true, Some(w)) = (c.grow, out[i]) {
                let want = self.content(i).min(c.max);
                let add = want.saturating_sub(w).min(spare);
                out[i] = Some(w + add);
                spare -= add;
            }
        }
        out
    }

    #[allow(clippy::many_single_char_names)] // x, y, r, c, w, s: a cell's place and text
    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let widths = self.widths(area.width);
        let head = self.theme.header();
        let mut x = area.x;
        for (i, c) in self.cols.iter().enumerate() {
            let Some(w) = widths[i] else { continue };
            let mut title = c.title.clone();
            match self.sorted {
                Some((col, rev)) if col == i => title.push(if rev { '▲' } else { '▼' }),
                // the marker's cell kept: a right-aligned title stays put when the sort moves
                Some(_) if c.right => title.push(' '),
                _ => {}
            }
            put(buf, x, area.y, w, &title, c.right, head, area.right());
            x = x.saturating_add(w + GAP);
        }
        for (r, row) in self.rows.iter().enumerate() {
            let y = area.y + 1 + r as u16;
            if y >= area.bottom() {
                break;
            }
            let selected = self.selected == Some(r);
            if selected {
                buf.set_style(Rect::new(area.x, y, area.width, 1), self.theme.selected());
            }
            let mut x = area.x;
            for (i, c) in self.cols.iter().enumerate() {
                let Some(w) = widths[i] else { continue };
                let (s, style) = row.get(i).cloned().unwrap_or_default();
                let style = match (selected, self.column) {
                    (true, Some(c)) if c == i => self.theme.cursor(),
                    (true, _) => self.theme.selected(),
                    _ => style,
                };
                put(buf, x, y, w, &s, c.right, style, area.right());
                x = x.saturating_add(w + GAP);
            }
        }
    }
}

/// A width in columns as the terminal counts them, `u16`, without wrapping a long text around.
fn cols(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

#[allow(clippy::too_many_arguments)]
fn put(buf: &mut Buffer, x: u16, y: u16, w: u16, s: &str, right: bool, style: Style, limit: u16) {
    if x >= limit {
        return;
    }
    let w = w.min(limit - x);
    let s = fit(s, w as usize);
    let pad = cols((w as usize).saturating_sub(text_width(&s)));
    let x = if right { x + pad } else { x };
    buf.set_stringn(x, y, &s, w as usize, style);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(t: &Table, width: u16, height: u16) -> Vec<String> {
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        t.render(area, &mut buf);
        crate::tui::widgets::buffer_lines(&buf)
    }

    #[test]
    fn columns_are_as_wide_as_their_text_shows() {
        let cell = |s: &str| (s.to_string(), Style::default());
        let t = Table {
            cols: vec![
                Col::left("domain", 20, 0),
                Col::left("subject", 20, 0),
                Col::right("n", 5, 0),
            ],
            rows: vec![
                // A combining diaeresis: 11 chars, 10 columns.
                vec![cell("mu\u{308}nchen.de"), cell("ascii"), cell("1")],
                // CJK: two columns a character.
                vec![cell("例え.jp"), cell("お知らせ"), cell("22")],
            ],
            selected: None,
            sorted: None,
            widths: None,
            column: None,
            theme: Theme { color: false },
        };
        let lines = screen(&t, 30, 3);
        assert_eq!(lines[0], "domain     subject   n");
        assert_eq!(lines[1], "mu\u{308}nchen.de ascii     1");
        assert_eq!(lines[2], "例え.jp    お知らせ 22");
        // Too narrow: wide text is cut at a character boundary, with the ellipsis, in 5 columns.
        let narrow = Table {
            cols: vec![Col::left("domain", 5, 0)],
            ..t
        };
        assert_eq!(screen(&narrow, 5, 3)[2], "例え…");
    }
}
