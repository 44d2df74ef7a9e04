//! `pmta-lens --generate man|complete-bash|complete-zsh|complete-fish` (read before clap, so
//! undocumented and never completed): the man page and shell completions, made from the same
//! argument definitions as `--help`, so they cannot drift. The release script writes them into
//! the packages; nobody types this by hand.

use std::io::{self, Write};

use clap::{CommandFactory, ValueEnum};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};

/// What `--generate` writes to stdout.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Generate {
    /// pmta-lens(1), roff.
    Man,
    CompleteBash,
    CompleteZsh,
    CompleteFish,
}

/// What `pmta-lens --generate WHAT` (or `--generate=WHAT`) asks for: `None` when the first
/// argument is not `--generate`, an error when WHAT is not one of the four.
pub fn requested(args: &[std::ffi::OsString]) -> Option<anyhow::Result<Generate>> {
    let first = args.get(1)?.to_str()?;
    let value = match first.strip_prefix("--generate") {
        Some("") => args.get(2).and_then(|a| a.to_str()),
        // `--generated` and the like are clap's to reject.
        Some(v) => Some(v.strip_prefix('=')?),
        None => return None,
    };
    let usage = "--generate takes man, complete-bash, complete-zsh or complete-fish";
    Some(match (value, args.len()) {
        (Some(v), n) if n == 2 + usize::from(first == "--generate") => {
            Generate::from_str(v, false).map_err(|_| anyhow::anyhow!("{usage}, not `{v}`"))
        }
        _ => Err(anyhow::anyhow!("{usage}, and nothing else")),
    })
}

/// Writes the man page or completion script to stdout.
pub fn to_stdout(what: Generate) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    super::stdout::check(write(what, &mut out).and_then(|()| out.flush()))
}

/// Writes the man page or completion script to `out`.
pub fn write(what: Generate, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = super::Cli::command();
    let shell = match what {
        Generate::Man => return man(&cmd, out),
        Generate::CompleteBash => clap_complete::Shell::Bash,
        Generate::CompleteZsh => clap_complete::Shell::Zsh,
        Generate::CompleteFish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(shell, &mut cmd, "pmta-lens", out);
    Ok(())
}

/// pmta-lens(1): the usual sections from clap, each command's options in one page (rather
/// than a page per command nobody would find), then what `--help` has no room for.
fn man(cmd: &clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let man = Man::new(cmd.clone()).manual("pmta-lens manual");
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    let mut commands = Roff::new();
    commands.control("SH", ["COMMANDS"]);
    commands.to_writer(out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let mut r = Roff::new();
        r.control("SS", [format!("pmta-lens {}", sub.get_name()).as_str()]);
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            r.text([roman(about.to_string())]);
        }
        r.to_writer(out)?;
        // The command's own options, without clap's OPTIONS heading: they sit under its .SS.
        let mut page = Vec::new();
        Man::new(sub.clone()).render_options_section(&mut page)?;
        let page = String::from_utf8_lossy(&page);
        for line in page.lines().filter(|l| !l.starts_with(".SH")) {
            writeln!(out, "{line}")?;
        }
    }
    extra_sections().to_writer(out)?;
    man.render_version_section(out)
}

/// A term and its explanation, as a `.TP` item.
fn item(r: &mut Roff, term: &str, text: &str) {
    r.control("TP", []);
    r.text([bold(term)]);
    r.text([roman(text)]);
}

fn extra_sections() -> Roff {
    let mut r = Roff::new();
    r.control("SH", ["WHERE EXPRESSIONS"]);
    r.text([
        roman("The "),
        bold("--where"),
        roman(" option takes space-separated terms that must all hold, such as "),
        italic("domain=outlook.com code=RP-001,RP-002 since=-2h"),
        roman(". Quote values with spaces: "),
        italic("diag~\"rate limit\""),
        roman("."),
    ]);
    item(
        &mut r,
        "field=a,b",
        "The field is any of the values (case-insensitive).",
    );
    item(&mut r, "field!=a,b", "The field is none of the values.");
    item(
        &mut r,
        "field~REGEX, field!~REGEX",
        "A regular expression matches (or does not match) somewhere in the field.",
    );
    r.control("PP", []);
    r.text([roman(
        "Fields: type (d b t tq r f rb rs), vmta, pool, ip (the sending IP), domain (the \
         destination a row counts under, or its recipient domain: domain=outlook.com covers \
         hotmail.de), rcpt-domain (before rollup), code (a rule id such as RP-002 or 5.7.606, \
         or a fallback such as 5.1.1 or 421), kind (deferral, bounce), job, diag (the response \
         text), rcpt, orig, queue, envid, since and until (RFC 3339, 2026-01-14T10:00, \
         2026-01-14, or relative: -2h, -30m, -1d).",
    )]);
    r.control("SH", ["EXIT STATUS"]);
    item(&mut r, "0", "Success. A closed output pipe also exits 0.");
    item(
        &mut r,
        "1",
        "rows matched nothing and nothing went wrong; check-config found problems.",
    );
    item(
        &mut r,
        "2",
        "An error: bad arguments, an input that could not be read, malformed rows skipped by \
         rows, or output that could not be written (reported after the rest was processed).",
    );
    r.control("SH", ["FILES"]);
    item(
        &mut r,
        crate::acct::discover::DEFAULT_DIR,
        "Read when no path is given: every acct*.csv and *.csv.gz, oldest first. Usually \
         readable by the pmta group; pmta-lens names the group when it is refused.",
    );
    item(
        &mut r,
        crate::config::DEFAULT_PATH,
        "The PowerMTA config, read for the connection budget and check-config when readable \
         (--config to name another, --no-config to read none).",
    );
    r.control("SH", ["ENVIRONMENT"]);
    item(
        &mut r,
        "NO_COLOR",
        "When set and not empty, --color auto shows no colour.",
    );
    item(
        &mut r,
        "RAYON_NUM_THREADS",
        "Worker threads when --threads is not given (default: all cores).",
    );
    item(
        &mut r,
        "TMPDIR",
        "Where summary keeps its temporary copy of standard input.",
    );
    r.control("SH", ["PRIORITY"]);
    r.text([roman(
        "By default pmta-lens lowers its own CPU priority (nice 10) and I/O priority \
         (best-effort, level 7) so that PowerMTA wins any contention on the host; \
         --priority normal runs it as started. --stats prints the priority in force.",
    )]);
    r.control("SH", ["SEE ALSO"]);
    r.text([roman(
        "The README and docs/ shipped in /usr/share/doc/pmta-lens: the formats, the \
         analyses, the dashboard's keys and the JSON output.",
    )]);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(what: Generate) -> String {
        let mut out = Vec::new();
        write(what, &mut out).expect("written to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn the_man_page_has_every_section_and_command() {
        let page = generated(Generate::Man);
        for needle in [
            ".TH pmta-lens 1",
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH OPTIONS",
            ".SH COMMANDS",
            ".SS \"pmta-lens check-config\"",
            ".SH \"WHERE EXPRESSIONS\"",
            ".SH \"EXIT STATUS\"",
            ".SH FILES",
            ".SH ENVIRONMENT",
            ".SH VERSION",
            "/var/log/pmta",
        ] {
            assert!(page.contains(needle), "{needle} missing from\n{page}");
        }
        assert!(
            !page.contains("generate"),
            "the hidden flag is not documented"
        );
    }

    fn args(a: &[&str]) -> Vec<std::ffi::OsString> {
        a.iter().map(Into::into).collect()
    }

    #[test]
    fn generate_is_read_only_as_the_first_argument() {
        let ok = |a: &[&str]| requested(&args(a)).map(Result::ok);
        assert_eq!(
            ok(&["pmta-lens", "--generate", "man"]),
            Some(Some(Generate::Man))
        );
        assert_eq!(
            ok(&["pmta-lens", "--generate=complete-zsh"]),
            Some(Some(Generate::CompleteZsh))
        );
        assert_eq!(ok(&["pmta-lens", "--generate", "pdf"]), Some(None));
        assert_eq!(ok(&["pmta-lens", "--generate"]), Some(None));
        assert_eq!(ok(&["pmta-lens", "--generate", "man", "x"]), Some(None));
        assert_eq!(ok(&["pmta-lens", "--generate=man", "x"]), Some(None));
        assert_eq!(ok(&["pmta-lens", "summary", "--generate"]), None);
        assert_eq!(ok(&["pmta-lens"]), None);
        assert_eq!(ok(&["pmta-lens", "--generated"]), None);
    }

    #[test]
    fn completions_complete_the_format_and_colour_values() {
        let zsh = generated(Generate::CompleteZsh);
        assert!(zsh.contains("text markdown json"), "{zsh}");
        assert!(zsh.contains("auto always never"), "{zsh}");
        assert!(zsh.contains("_files"), "paths complete as files");
        let fish = generated(Generate::CompleteFish);
        assert!(fish.contains("check-config"), "{fish}");
    }
}
