//! Tests of the config syntax itself: unknown directives kept, brace forms, nested pattern lists,
//! errors naming file and line, includes (globs, cycles) and hostile nesting or macro expansion.

use std::path::Path;

use super::*;

// ---- syntax -------------------------------------------------------------------------------------

#[test]
fn unknown_directives_and_blocks_are_kept() {
    let c = parse(
        "frobnicate-level 11\n<domain *>\n max-conn-rate 2/s\n max-smtp-out 4\n</domain>\n\
         <wibble a b>\n x 1\n <inner>\n y 2\n </inner>\n</wibble>\n",
    );
    let d = c.global("frobnicate-level").expect("kept");
    assert_eq!((d.value.as_str(), d.loc.line), ("11", 1));
    let conn = c
        .directives
        .iter()
        .find(|d| d.name == "max-conn-rate")
        .expect("kept");
    assert_eq!(
        (conn.loc.line, conn.context.as_slice()),
        (3, &["domain *".to_owned()][..])
    );
    assert_eq!(c.max_smtp_out("x.example", None).0, 4);
    let w = &c.other_blocks[0];
    assert_eq!(
        (w.tag.as_str(), w.args.as_str(), w.children[0].tag.as_str()),
        ("wibble", "a b", "inner")
    );
    assert_eq!(
        c.directives
            .iter()
            .find(|d| d.name == "y")
            .map(|d| d.context.clone()),
        Some(vec!["wibble a b".into(), "inner".into()])
    );
}

#[test]
fn brace_form_variants() {
    let c = parse(
        "domain outlook.com\n{\n max-smtp-out 4\n}\n\
         virtual-mta-pool microsoft-pool {\n virtual-mta v1\n virtual-mta v2\n domain outlook.com { max-smtp-out 3 }\n}\n\
         virtual-mta v1 { smtp-source-host 192.0.2.1 v1.example.com }\n",
    );
    assert_eq!(
        c.domains[0].loc,
        loc(1),
        "the header on the line before the brace"
    );
    assert_eq!(c.max_smtp_out("outlook.com", None).0, 4);
    assert_eq!(
        c.pool_members("microsoft-pool").map(<[String]>::len),
        Some(2)
    );
    assert_eq!(c.max_smtp_out("outlook.com", Some("v2")).0, 3);
    assert_eq!(c.vmta_ips("v1"), ["192.0.2.1"]);
    assert_eq!(c.pools[0].form, BlockForm::Brace);
}

#[test]
fn nested_pattern_list_from_the_manual() {
    let c = parse(
        "<pattern-list patterns>\n    mail-from /newsletter/ <pattern-list>\n        \
         rcpt-to /^stud.*@somesite.com$/ virtual-mta=students\n        * virtual-mta=anything\n    \
         </pattern-list>\n    header x-eval /^\\s*eval/ virtual-mta=evaluation\n</pattern-list>\n",
    );
    let list = &c.routing_lists[0];
    assert_eq!(list.nested.len(), 1);
    assert_eq!(list.nested[0].name, "mail-from /newsletter/");
    assert_eq!(list.nested[0].entries.len(), 2);
    assert_eq!(list.entries[0].param.as_deref(), Some("x-eval"));
    assert_eq!(list.entries[0].pattern, "^\\s*eval");
}

#[test]
fn errors_name_file_and_line() {
    for (text, want) in [
        (
            "<domain *>\n max-smtp-out 2\n",
            "config:1: <domain> opened here is never closed",
        ),
        (
            "<domain *>\n</virtual-mta>\n",
            "config:2: </virtual-mta> does not close <domain> opened at config:1",
        ),
        (
            "x 1\n</domain>\n",
            "config:2: </domain> without an open block",
        ),
        ("}}\n", "config:1: `}` without an open block"),
        (
            "domain x {{\n</domain>\n",
            "config:2: </domain> does not close `domain {` opened at config:1",
        ),
        (
            "<domain *>\n}\n",
            "config:2: `}` does not close <domain> opened at config:1",
        ),
        (
            "\n<domain *\n",
            "config:2: block tag `<domain *` has no closing `>`",
        ),
        ("include\n", "config:1: include without a file name"),
        ("{\n", "config:1: `{` with nothing to open"),
    ] {
        assert_eq!(parse_err(text), want, "{text:?}");
    }
    let missing = parse_err("\n\ninclude conf.d/nope.conf\n");
    assert!(
        missing.starts_with("config:3: include ") && missing.ends_with("nope.conf: no such file"),
        "{missing}"
    );
}

// ---- includes -----------------------------------------------------------------------------------

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(path, text).expect("write");
}

#[test]
fn include_with_glob_relative_paths_and_nested_scope() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(
        dir,
        "config",
        "include conf.d/*.conf\n<virtual-mta-pool p>\n include pool-members.txt\n</virtual-mta-pool>\n",
    );
    write(
        dir,
        "conf.d/10-vmtas.conf",
        "<virtual-mta v1>\n smtp-source-host 192.0.2.1 v1.example.com\n</virtual-mta>\ninclude ../sub/domains.inc\n",
    );
    write(dir, "conf.d/20-empty.conf", "# nothing\n");
    write(dir, "conf.d/skip.txt", "this would not parse <\n");
    write(dir, "conf.d/.hidden.conf", "<domain *>\n");
    write(
        dir,
        "sub/domains.inc",
        "<domain outlook.com>\n max-smtp-out 4\n</domain>\n",
    );
    write(dir, "pool-members.txt", "virtual-mta v1\n");
    let c = Config::parse_file(dir.join("config")).expect("parses");
    let names: Vec<String> = c
        .files
        .iter()
        .map(|f| f.strip_prefix(dir).unwrap_or(f).display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "config",
            "conf.d/10-vmtas.conf",
            "conf.d/../sub/domains.inc",
            "conf.d/20-empty.conf",
            "pool-members.txt"
        ]
    );
    assert_eq!(
        c.pool_members("p"),
        Some(&["v1".to_owned()][..]),
        "an include inside a block adds to it"
    );
    assert_eq!(c.max_smtp_out("outlook.com", Some("v1")).0, 4);
    let loc = &c.domains[0].loc;
    assert!(loc.file.ends_with("sub/domains.inc") && loc.line == 1);
    // A pattern matching nothing is fine.
    write(dir, "config2", "include none/*.conf\n");
    assert!(Config::parse_file(dir.join("config2")).is_ok());
}

#[test]
fn include_cycles_are_errors_naming_the_chain() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(dir, "config", "include a.conf\n");
    write(dir, "a.conf", "postmaster x@example.com\ninclude b.conf\n");
    write(dir, "b.conf", "include *.conf\n");
    let err = Config::parse_file(dir.join("config")).expect_err("cycle");
    let text = err.to_string();
    assert!(matches!(err, ConfigError::IncludeCycle { .. }), "{text}");
    let (a, b) = (dir.join("a.conf"), dir.join("b.conf"));
    let (a, b) = (a.display(), b.display());
    assert_eq!(text, format!("{b}:1: include cycle: {a} -> {b} -> {a}"));
    // A file including itself.
    write(dir, "self.conf", "include self.conf\n");
    let err = Config::parse_file(dir.join("self.conf"))
        .expect_err("self cycle")
        .to_string();
    assert!(
        err.contains("self.conf:1: include cycle: ") && err.matches("self.conf").count() == 3,
        "{err}"
    );
    // A block left open in an included file is that file's error.
    write(dir, "open.conf", "<domain *>\n");
    write(dir, "main2", "include open.conf\n</domain>\n");
    let err = Config::parse_file(dir.join("main2"))
        .expect_err("unclosed")
        .to_string();
    assert!(
        err.contains("open.conf:1: <domain> opened here is never closed"),
        "{err}"
    );
    // The main file missing.
    let err = Config::parse_file(dir.join("absent"))
        .expect_err("missing")
        .to_string();
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    let deep = "<a>\n".repeat(100);
    let err = parse_err(&deep);
    assert_eq!(err, "config:65: blocks nested more than 64 deep");
}

#[test]
fn macro_expansion_is_bounded_in_depth_time_and_size() {
    // Found by the fuzz harness (tests/fuzz.rs). Each `$name` of a text recursed once more (a
    // stack overflow, which kills the process, past some thousands in one line), nested
    // macros were expanded again for every mention (time doubling with each level), and
    // `$a.$a...` multiplies without bound (memory).
    let long = "$a".repeat(100_000);
    let c = parse(&format!(
        "domain-macro a x\ndomain-macro b {long}\n<domain {long}>\nmax-smtp-out 3\n</domain>\n"
    ));
    assert_eq!(c.macro_domains("b"), Some(&["x".repeat(100_000)][..]));
    assert_eq!(c.domains[0].matchers.len(), 1);
    let doubling: String = std::iter::once("domain-macro m0 x.com,y.com\n".to_string())
        .chain((1..=30).map(|i| format!("domain-macro m{i} $m{0},$m{0}\n", i - 1)))
        .collect();
    let c = parse(&doubling);
    assert_eq!(c.macro_domains("m30").map(<[String]>::len), Some(2));
    let err = parse_err(&format!(
        "domain-macro a x,y\ndomain-macro b {}\n",
        "$a".repeat(40)
    ));
    assert!(
        err.starts_with("config:2: domain-macro b expands to more than"),
        "{err}"
    );
    let err = parse_err(&format!(
        "domain-macro a x,y\n<domain {}>\nmax-smtp-out 3\n</domain>\n",
        "$a.".repeat(40)
    ));
    assert!(
        err.starts_with("config:2: <domain $a.$a.") && err.contains("expands to more than"),
        "{err}"
    );
}
