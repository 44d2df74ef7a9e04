//! Every style the dashboard uses, in one place. Without colour (`NO_COLOR`, `--color never`)
//! the same meaning is carried by bold, underline and reverse video, so nothing depends on hue.

use ratatui::style::{Color, Modifier, Style};

use crate::model::Severity;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn pick(self, colored: Style, plain: Style) -> Style {
        if self.color { colored } else { plain }
    }

    pub fn text(self) -> Style {
        Style::default()
    }

    pub fn dim(self) -> Style {
        self.pick(Style::default().fg(Color::DarkGray), Style::default())
    }

    pub fn title(self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn tab(self) -> Style {
        Style::default()
    }

    pub fn tab_active(self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    pub fn header(self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn selected(self) -> Style {
        self.pick(
            Style::default().bg(Color::Blue).fg(Color::White),
            Style::default().add_modifier(Modifier::REVERSED),
        )
    }

    /// The cell under the column cursor, in the selected row: it stands out of the row.
    pub fn cursor(self) -> Style {
        self.pick(
            Style::default()
                .bg(Color::Cyan)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn key(self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn severity(self, s: Severity) -> Style {
        match s {
            Severity::Critical => self.pick(
                Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Severity::Warning => self.pick(
                Style::default()
                    .fg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
                Style::default().add_modifier(Modifier::BOLD),
            ),
            Severity::Info => self.pick(Style::default().fg(Color::Cyan), Style::default()),
        }
    }

    pub fn error(self) -> Style {
        self.severity(Severity::Critical)
    }

    pub fn delivered(self) -> Style {
        self.pick(Style::default().fg(Color::Green), Style::default())
    }

    pub fn deferred(self) -> Style {
        self.pick(Style::default().fg(Color::Yellow), Style::default())
    }

    pub fn bounced(self) -> Style {
        self.pick(Style::default().fg(Color::Red), Style::default())
    }

    pub fn burst(self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Magenta)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }

    pub fn mark(self) -> Style {
        self.pick(
            Style::default().bg(Color::DarkGray),
            Style::default().add_modifier(Modifier::UNDERLINED),
        )
    }

    pub fn chart(self) -> Style {
        self.pick(Style::default().fg(Color::Yellow), Style::default())
    }
}
