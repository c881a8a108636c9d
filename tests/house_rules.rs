//! House rules the compiler does not check: every section reference (`§`) in the code and the
//! shaders names a document of the repository and a section it has; no function of the library
//! is longer than 80 lines; no module of the library or of the Python package depends on itself
//! through other modules (an import cycle). Each check is tested on a sample it must reject.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

/// The files of `dir` with these extensions, sorted, as (path relative to `strip`, text).
fn sources_under(dir: &Path, ext: &[&str], strip: &Path) -> Vec<(String, String)> {
    let mut paths = Vec::new();
    for e in ext {
        files(dir, e, &mut paths);
    }
    paths.sort();
    let name = |p: &PathBuf| p.strip_prefix(strip).unwrap().to_string_lossy().replace('\\', "/");
    paths.iter().map(|p| (name(p), std::fs::read_to_string(p).unwrap())).collect()
}

/// The section numbers of a Markdown document: `## 3.` / `### 3.1 ...` headings, and the
/// decisions' `## D6.`.
fn sections(doc: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(doc).unwrap_or_else(|e| panic!("{}: {e}", doc.display()));
    text.lines()
        .filter(|l| l.starts_with('#'))
        .filter_map(|l| {
            l.trim_start_matches('#').split_whitespace().next().map(|s| s.trim_end_matches('.').to_string())
        })
        .collect()
}

#[test]
fn every_section_reference_in_the_code_resolves_to_a_document_of_the_repository() {
    let mut sources = Vec::new();
    files(&root().join("src"), "rs", &mut sources);
    files(&root().join("shaders"), "wgsl", &mut sources);
    let mut bad = Vec::new();
    let mut checked = 0;
    for path in &sources {
        for (n, line) in std::fs::read_to_string(path).unwrap().lines().enumerate() {
            // A reference is `docs/NAME.md §A.B` followed by more `, §C` of the same document.
            let mut doc: Option<PathBuf> = None;
            let mut rest = line;
            while let Some(at) = rest.find('§') {
                let before = &rest[..at];
                if let Some(d) = before.rfind("docs/") {
                    let name = before[d..].split_whitespace().next().unwrap_or("").trim_end_matches([',', ':']);
                    if name.ends_with(".md") {
                        doc = Some(root().join(name));
                    }
                }
                let section: String =
                    rest[at + '§'.len_utf8()..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
                let section = section.trim_end_matches('.').to_string();
                let place = format!("{}:{}", path.strip_prefix(root()).unwrap().display(), n + 1);
                match &doc {
                    None => bad.push(format!("{place}: `§{section}` names no document of the repository")),
                    Some(d) if !d.exists() => bad.push(format!("{place}: {} does not exist", d.display())),
                    Some(d) if !sections(d).contains(&section) => bad.push(format!(
                        "{place}: {} has no section {section}",
                        d.strip_prefix(root()).unwrap().display()
                    )),
                    Some(_) => checked += 1,
                }
                rest = &rest[at + '§'.len_utf8()..];
            }
        }
    }
    assert!(bad.is_empty(), "{} references do not resolve:\n{}", bad.len(), bad.join("\n"));
    assert!(checked > 40, "only {checked} references found");
}

// ------------------------------------------------------------------------------------------------
// Function length: no function of `src/` runs past 80 lines, from its `fn` line to its closing
// brace (tests inside `src/` count too; `tests/` is not the library).

/// The longest a function of `src/` may be, in lines from its `fn` line to its closing brace.
const MAX_FUNCTION_LINES: usize = 80;

/// The functions that are still longer than [`MAX_FUNCTION_LINES`] (file, function name), being
/// split. The list can only shrink: the check fails when one of them is no longer long (or no
/// longer there), so that its entry goes.
const STILL_LONG: &[(&str, &str)] = &[];

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Ident,
    Punct,
    Literal,
}

/// A token of Rust or Python source, with the line it starts on; comments are dropped, and a
/// string, character or number is one `Literal` (its text is not kept).
#[derive(Debug)]
struct Tok {
    kind: Kind,
    text: String,
    line: usize,
}

/// Skips a quoted literal that starts at `c[i]` (the opening quote), backslash escapes included;
/// returns the index after the closing quote.
fn skip_quoted(c: &[char], mut i: usize, line: &mut usize) -> usize {
    let quote = c[i];
    i += 1;
    while i < c.len() && c[i] != quote {
        if c[i] == '\\' {
            i += 1;
        }
        if c.get(i) == Some(&'\n') {
            *line += 1;
        }
        i += 1;
    }
    i + 1
}

/// Skips a raw string whose `#`s or opening quote start at `c[i]` (after the `r`); returns the
/// index after it, or None if `c[i..]` is no raw string (a raw identifier `r#name`).
fn skip_raw(c: &[char], i: usize, line: &mut usize) -> Option<usize> {
    let hashes = c[i..].iter().take_while(|&&x| x == '#').count();
    let mut j = i + hashes;
    if c.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    while j < c.len() && !(c[j] == '"' && (1..=hashes).all(|k| c.get(j + k) == Some(&'#'))) {
        *line += usize::from(c[j] == '\n');
        j += 1;
    }
    Some(j + 1 + hashes)
}

/// Rust source as tokens: `::` is one token; comments (nested ones too) are dropped; strings
/// (raw, byte and C ones too), characters, lifetimes and numbers are literals.
fn rust_tokens(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let (ch, next, at) = (c[i], c.get(i + 1).copied(), line);
        let mut push = |kind, text: String| out.push(Tok { kind, text, line: at });
        if ch.is_whitespace() {
            line += usize::from(ch == '\n');
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    (depth, i) = (depth + 1, i + 2);
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    (depth, i) = (depth - 1, i + 2);
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += usize::from(c[i] == '\n');
                    i += 1;
                }
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            let raw = if matches!(word.as_str(), "r" | "br" | "cr") { skip_raw(&c, i, &mut line) } else { None };
            if let Some(end) = raw {
                i = end;
                push(Kind::Literal, String::new());
            } else if matches!((word.as_str(), c.get(i)), ("b" | "c", Some('"')) | ("b", Some('\''))) {
                i = skip_quoted(&c, i, &mut line);
                push(Kind::Literal, String::new());
            } else {
                push(Kind::Ident, word);
            }
        } else if ch.is_ascii_digit() {
            while i < c.len()
                && (c[i].is_alphanumeric()
                    || c[i] == '_'
                    || (c[i] == '.' && c.get(i + 1).is_some_and(char::is_ascii_digit)))
            {
                i += 1;
            }
            push(Kind::Literal, String::new());
        } else if ch == '"' || (ch == '\'' && (next == Some('\\') || c.get(i + 2) == Some(&'\''))) {
            i = skip_quoted(&c, i, &mut line);
            push(Kind::Literal, String::new());
        } else if ch == '\'' {
            // A lifetime or a label.
            i += 1;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            push(Kind::Literal, String::new());
        } else if ch == ':' && next == Some(':') {
            i += 2;
            push(Kind::Punct, "::".into());
        } else {
            i += 1;
            push(Kind::Punct, ch.into());
        }
    }
    out
}

/// The functions with a body in Rust source: (name, line of `fn`, lines up to the closing brace).
fn functions(src: &str) -> Vec<(String, usize, usize)> {
    let t = rust_tokens(src);
    let mut out = Vec::new();
    for (i, w) in t.windows(2).enumerate() {
        if w[0].text != "fn" || w[1].kind != Kind::Ident {
            continue;
        }
        // The body is the first `{` outside the signature's brackets (`[u8; 4]` has a `;`).
        let mut depth = 0i32;
        let mut j = i + 2;
        while j < t.len() && !(depth == 0 && (t[j].text == "{" || t[j].text == ";")) {
            match t[j].text.as_str() {
                "(" | "[" => depth += 1,
                ")" | "]" => depth -= 1,
                _ => {}
            }
            j += 1;
        }
        if t.get(j).is_none_or(|x| x.text == ";") {
            continue;
        }
        let mut braces = 0;
        for x in &t[j..] {
            braces += i32::from(x.text == "{") - i32::from(x.text == "}");
            if braces == 0 {
                out.push((w[1].text.clone(), w[0].line, x.line - w[0].line + 1));
                break;
            }
        }
    }
    out
}

#[test]
fn no_function_of_the_library_is_longer_than_80_lines() {
    let mut long = Vec::new();
    for (file, src) in sources_under(&root().join("src"), &["rs"], &root()) {
        for (name, line, lines) in functions(&src) {
            if lines > MAX_FUNCTION_LINES {
                long.push((file.clone(), name, line, lines));
            }
        }
    }
    let listed = |f: &str, n: &str| STILL_LONG.iter().any(|&(lf, ln)| lf == f && ln == n);
    let mut bad: Vec<String> = long
        .iter()
        .filter(|(f, n, ..)| !listed(f, n))
        .map(|(f, n, line, lines)| format!("{f}:{line}: fn {n} has {lines} lines"))
        .collect();
    bad.extend(
        STILL_LONG
            .iter()
            .filter(|&&(lf, ln)| !long.iter().any(|(f, n, ..)| f == lf && n == ln))
            .map(|(f, n)| format!("{f}: fn {n} is no longer long (or no longer there): take it off STILL_LONG")),
    );
    assert!(bad.is_empty(), "functions longer than {MAX_FUNCTION_LINES} lines:\n{}", bad.join("\n"));
}

#[test]
fn the_length_of_a_function_is_not_fooled_by_strings_characters_or_comments() {
    let mut long = String::from("fn long<'a>(x: &'a [u8; 4]) -> char {\n");
    long += "    let s = \"}}\"; let r = r#\"}\"# ; let b = b'}'; let q = '\\'';\n";
    long += "    /* } /* nested } */ } */ // }\n";
    long += &"    let _ = '{';\n".repeat(77);
    long += "    '}'\n}\n";
    let sample = format!("{long}trait T {{ fn declared(&self); }}\nfn short() -> &'static str {{\n    \"{{\"\n}}\n");
    let found = functions(&sample);
    assert_eq!(
        found,
        [("long".to_string(), 1, 82), ("short".to_string(), 84, 3)],
        "the function lengths of the sample"
    );
}

// ------------------------------------------------------------------------------------------------
// Import cycles: no two modules under one parent depend on each other, directly or through
// others. Each module (a file) stands for the child of the common parent it lies under, so that a
// cycle between two subtrees (`record` ↔ `engine`) shows as one between the two children; a
// module's use of its ancestors (`super::Item`, an item a `mod.rs` re-exports) or descendants
// (`mod child;` and `pub use child::Item`) is no cycle and is not counted.

/// Cycles of modules of `src/` allowed while they are being broken (none today): the members of each
/// strongly connected set, sorted. The list can only shrink: the check fails on a cycle that is
/// not here and on an entry that is no longer a cycle (a smaller or larger one included).
const STILL_CYCLIC: &[&[&str]] = &[];

/// One module's reference to another: the module it is in, the module it names (the deepest
/// module of the path) and where.
struct Reference {
    from: Vec<String>,
    to: Vec<String>,
    at: String,
}

/// The deepest module a path lies in: its longest prefix that is a module.
fn deepest_module(modules: &BTreeSet<Vec<String>>, path: &[String]) -> Option<Vec<String>> {
    (0..=path.len()).rev().map(|n| path[..n].to_vec()).find(|p| modules.contains(p))
}

/// Parses a `use` tree or a path from `t[j]` (after its `crate::` / `super::` / `self::` start,
/// which gave `prefix`) and adds each path it names to `out`; returns the index after it.
fn path_tree(t: &[Tok], mut j: usize, mut prefix: Vec<String>, out: &mut Vec<(Vec<String>, usize)>) -> usize {
    let line = |j: usize| t.get(j).or(t.last()).map_or(0, |x| x.line);
    loop {
        match t.get(j).map(|x| (x.kind, x.text.as_str())) {
            Some((_, "{")) => {
                j += 1;
                while let Some(x) = t.get(j) {
                    match x.text.as_str() {
                        "}" => return j + 1,
                        "," => j += 1,
                        _ => j = path_tree(t, j, prefix.clone(), out),
                    }
                }
                return j;
            }
            Some((_, "*" | "self")) => {
                out.push((prefix, line(j)));
                return j + 1;
            }
            Some((Kind::Ident, name)) => {
                prefix.push(name.to_string());
                if t.get(j + 1).is_some_and(|x| x.text == "::") {
                    j += 2;
                } else {
                    out.push((prefix, line(j)));
                    // `name as other`
                    return if t.get(j + 1).is_some_and(|x| x.text == "as") { j + 3 } else { j + 1 };
                }
            }
            _ => {
                out.push((prefix, line(j)));
                return j;
            }
        }
    }
}

/// The paths a Rust module names from the crate's root, `self` or `super` on (in `use` trees and
/// in code), as absolute module paths with their lines. `super` inside an inline `mod tests { }`
/// first leaves that inline module.
fn rust_paths(module: &[String], src: &str) -> Vec<(Vec<String>, usize)> {
    let t = rust_tokens(src);
    let mut out = Vec::new();
    let (mut depth, mut inline) = (0, Vec::new());
    let mut i = 0;
    while i < t.len() {
        let text = t[i].text.as_str();
        let before = |k: usize| if i >= k { t[i - k].text.as_str() } else { "" };
        match text {
            "{" => {
                if before(2) == "mod" && t[i - 1].kind == Kind::Ident {
                    inline.push(depth);
                }
                depth += 1;
            }
            "}" => {
                depth -= 1;
                if inline.last() == Some(&depth) {
                    inline.pop();
                }
            }
            "crate" | "super" | "self"
                if t.get(i + 1).is_some_and(|x| x.text == "::")
                    && !matches!(before(1), "::" | "$")
                    && (before(1), before(2), before(3)) != ("in", "(", "pub") =>
            {
                let (mut base, mut inner) = (module.to_vec(), inline.len());
                let mut j = i;
                while let Some(k) = t.get(j).filter(|x| matches!(x.text.as_str(), "crate" | "super" | "self")) {
                    match k.text.as_str() {
                        "crate" => (base, inner) = (Vec::new(), 0),
                        "super" if inner > 0 => inner -= 1,
                        "super" => {
                            base.pop();
                        }
                        _ => {}
                    }
                    j += 1;
                    if t.get(j).is_none_or(|x| x.text != "::") {
                        break;
                    }
                    j += 1;
                }
                if t.get(j - 1).is_some_and(|x| x.kind == Kind::Ident) {
                    // The path ends with its `super` or `self` (`use super::super;`).
                    out.push((base, t[j - 1].line));
                    i = j;
                    continue;
                }
                i = path_tree(&t, j, base, &mut out);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Python imports as tokens: comments dropped, strings (any prefix, triple-quoted ones too) one
/// literal, and the end of each logical line (outside brackets, not after a `\`) a `;`.
fn python_tokens(src: &str) -> Vec<Tok> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut depth) = (0, 1, 0i32);
    while i < c.len() {
        let (ch, at) = (c[i], line);
        let mut push = |kind, text: String| out.push(Tok { kind, text, line: at });
        if ch == '\n' {
            if depth == 0 {
                push(Kind::Punct, ";".into());
            }
            line += 1;
            i += 1;
        } else if ch == '\\' && c.get(i + 1) == Some(&'\n') {
            line += 1;
            i += 2;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '#' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '"' || ch == '\'' {
            if c.get(i + 1) == Some(&ch) && c.get(i + 2) == Some(&ch) {
                i += 3;
                while i < c.len() && !(c[i] == ch && c.get(i + 1) == Some(&ch) && c.get(i + 2) == Some(&ch)) {
                    if c[i] == '\\' {
                        i += 1;
                    }
                    line += usize::from(c.get(i) == Some(&'\n'));
                    i += 1;
                }
                i += 3;
            } else {
                i = skip_quoted(&c, i, &mut line);
            }
            push(Kind::Literal, String::new());
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            // A string's prefix (r, b, f, u, rb, ...) is left for the quote that follows.
            let prefix = word.len() <= 2 && word.chars().all(|x| "rbfuRBFU".contains(x));
            if !(prefix && matches!(c.get(i), Some('"' | '\''))) {
                push(if ch.is_ascii_digit() { Kind::Literal } else { Kind::Ident }, word);
            }
        } else {
            depth += i32::from("([{".contains(ch)) - i32::from(")]}".contains(ch));
            i += 1;
            push(Kind::Punct, ch.into());
        }
    }
    out
}

/// The imports of a Python module (`import a.b`, `from .a import b`, at any depth of the code, so
/// inside functions too), as absolute module paths (`from p import m` names the module `p.m` if
/// there is one, else `p`) with their lines.
fn python_imports(
    module: &[String],
    package: bool,
    modules: &BTreeSet<Vec<String>>,
    src: &str,
) -> Vec<(Vec<String>, usize)> {
    let t = python_tokens(src);
    let mut out = Vec::new();
    for statement in t.split(|x| x.text == ";") {
        let Some(at) = statement.iter().position(|x| x.text == "import" && x.kind == Kind::Ident) else { continue };
        // `from [.]* name(.name)* import`: walk back over the dots and names.
        let from = statement[..at].iter().rposition(|x| x.text == "from");
        let from = from.filter(|&f| statement[f + 1..at].iter().all(|x| x.kind == Kind::Ident || x.text == "."));
        let names = statement[at + 1..].split(|x| x.text == ",").filter_map(|n| {
            let n: Vec<&Tok> = n.iter().filter(|x| !matches!(x.text.as_str(), "(" | ")")).collect();
            let end = n.iter().position(|x| x.text == "as").unwrap_or(n.len());
            (end > 0).then(|| (n[..end].iter().map(|x| x.text.clone()).collect::<String>(), n[0].line))
        });
        let dotted = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        match from {
            None => out.extend(names.map(|(name, line)| (dotted(&name), line))),
            Some(f) => {
                let spec: String = statement[f + 1..at].iter().map(|x| x.text.as_str()).collect();
                let level = spec.chars().take_while(|&x| x == '.').count();
                let mut base = if level == 0 {
                    Vec::new()
                } else {
                    let mut b = module[..module.len() - usize::from(!package)].to_vec();
                    b.truncate(b.len().saturating_sub(level - 1));
                    b
                };
                base.extend(dotted(&spec[level..]).into_iter().filter(|x| !x.is_empty()));
                for (name, line) in names {
                    let sub = [base.clone(), vec![name]].concat();
                    out.push((if modules.contains(&sub) { sub } else { base.clone() }, line));
                }
            }
        }
    }
    out
}

/// The edges between siblings that the references make: each end stands for the child of the two
/// modules' common parent it lies under; ancestors and descendants of a module are not counted.
/// Each edge keeps its first reference.
fn sibling_edges(refs: &[Reference]) -> BTreeMap<(Vec<String>, Vec<String>), String> {
    let mut edges = BTreeMap::new();
    for r in refs {
        let common = r.from.iter().zip(&r.to).take_while(|(a, b)| a == b).count();
        if common < r.from.len() && common < r.to.len() {
            let key = (r.from[..=common].to_vec(), r.to[..=common].to_vec());
            edges.entry(key).or_insert_with(|| r.at.clone());
        }
    }
    edges
}

/// The strongly connected sets of more than one node (Tarjan's algorithm), each sorted.
fn strongly_connected(edges: &BTreeMap<(Vec<String>, Vec<String>), String>) -> Vec<Vec<Vec<String>>> {
    struct Search<'a> {
        next: BTreeMap<&'a Vec<String>, Vec<&'a Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, (usize, usize)>,
        stack: Vec<&'a Vec<String>>,
        found: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(s: &mut Search<'a>, v: &'a Vec<String>) {
        let n = s.index.len();
        s.index.insert(v, (n, n));
        s.stack.push(v);
        for w in s.next.get(v).cloned().unwrap_or_default() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.index[w].1.min(s.index[v].1);
                s.index.get_mut(v).unwrap().1 = low;
            } else if s.stack.contains(&w) {
                let low = s.index[w].0.min(s.index[v].1);
                s.index.get_mut(v).unwrap().1 = low;
            }
        }
        if s.index[v].0 == s.index[v].1 {
            let at = s.stack.iter().position(|x| *x == v).unwrap();
            let mut set: Vec<Vec<String>> = s.stack.split_off(at).into_iter().cloned().collect();
            set.sort();
            if set.len() > 1 {
                s.found.push(set);
            }
        }
    }
    let mut s = Search { next: BTreeMap::new(), index: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for (a, b) in edges.keys() {
        s.next.entry(a).or_default().push(b);
    }
    let nodes: Vec<&Vec<String>> = s.next.keys().copied().collect();
    for v in nodes {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found.sort();
    s.found
}

/// A cycle through the first module of a strongly connected set, as a chain with one reference
/// per edge: `a → b (src/a.rs:3) → a (src/b.rs:7)`; then the set's other edges.
fn describe(set: &[Vec<String>], edges: &BTreeMap<(Vec<String>, Vec<String>), String>, sep: &str) -> String {
    let name = |m: &Vec<String>| m.join(sep);
    let inside = |a: &Vec<String>, b: &Vec<String>| set.contains(a) && set.contains(b);
    // Breadth first from the first module back to it.
    let start = &set[0];
    let mut came: BTreeMap<&Vec<String>, &Vec<String>> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    'search: while let Some(v) = queue.pop_front() {
        for (a, b) in edges.keys().filter(|(a, b)| a == v && inside(a, b)) {
            if !came.contains_key(b) {
                came.insert(b, a);
                if b == start {
                    break 'search;
                }
                queue.push_back(b);
            }
        }
    }
    let (mut chain, mut v) = (vec![start], came[start]);
    while v != start {
        chain.push(v);
        v = came[v];
    }
    chain.push(start);
    chain.reverse();
    let mut text = name(chain[0]);
    for w in chain.windows(2) {
        text += &format!(" → {} ({})", name(w[1]), edges[&(w[0].clone(), w[1].clone())]);
    }
    let on_chain = |a: &Vec<String>, b: &Vec<String>| chain.windows(2).any(|w| w[0] == a && w[1] == b);
    for ((a, b), at) in edges.iter().filter(|((a, b), _)| inside(a, b) && !on_chain(a, b)) {
        text += &format!("\n    and {} → {} ({at})", name(a), name(b));
    }
    text
}

/// The import cycles the references make, as the names of each cycle's members and a description.
fn cycles(refs: &[Reference], sep: &str) -> Vec<(Vec<String>, String)> {
    let edges = sibling_edges(refs);
    strongly_connected(&edges)
        .into_iter()
        .map(|set| (set.iter().map(|m| m.join(sep)).collect(), describe(&set, &edges, sep)))
        .collect()
}

/// The references between the modules of a crate's `src/` (`lib.rs` is the root; a binary's
/// `main.rs` is another crate and is left out), given as (file, source).
fn rust_references(sources: &[(String, String)]) -> Vec<Reference> {
    let module = |file: &str| -> Vec<String> {
        let p = file.strip_prefix("src/").unwrap_or(file).trim_end_matches(".rs");
        let p = p.trim_end_matches("/mod").trim_end_matches("lib");
        p.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect()
    };
    let sources: Vec<_> = sources.iter().filter(|(f, _)| !f.ends_with("main.rs")).collect();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|(f, _)| module(f)).collect();
    let mut refs = Vec::new();
    for (file, src) in sources {
        let from = module(file);
        for (path, line) in rust_paths(&from, src) {
            if let Some(to) = deepest_module(&modules, &path) {
                refs.push(Reference { from: from.clone(), to, at: format!("{file}:{line}") });
            }
        }
    }
    refs
}

/// The references between the modules of a Python package (files given as (path under the
/// package's parent, source), e.g. `spinnsim/pynn/arrow.py`; a `.pyi` stub names an extension
/// module and imports nothing). A module that imports a name (not a module) from its own package
/// depends on the package's `__init__`: that edge, and the `__init__`'s imports of its modules,
/// are kept too as edges between the two files, so that such a cycle shows.
fn python_references(sources: &[(String, String)]) -> (Vec<Reference>, Vec<Reference>) {
    let module = |file: &str| -> Vec<String> {
        let p = file.trim_end_matches(".py").trim_end_matches(".pyi").trim_end_matches("/__init__");
        p.split('/').map(str::to_string).collect()
    };
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|(f, _)| module(f)).collect();
    let (mut refs, mut files) = (Vec::new(), Vec::new());
    for (file, src) in sources.iter().filter(|(f, _)| f.ends_with(".py")) {
        let from = module(file);
        for (path, line) in python_imports(&from, file.ends_with("__init__.py"), &modules, src) {
            if let Some(to) = deepest_module(&modules, &path).filter(|m| !m.is_empty()) {
                let at = format!("python/{file}:{line}");
                if to != from {
                    // As files: each module its own node.
                    let node = |m: &Vec<String>| vec![m.join(".")];
                    files.push(Reference { from: node(&from), to: node(&to), at: at.clone() });
                }
                refs.push(Reference { from: from.clone(), to, at });
            }
        }
    }
    (refs, files)
}

#[test]
fn no_module_of_the_library_depends_on_itself_through_its_siblings() {
    let found = cycles(&rust_references(&sources_under(&root().join("src"), &["rs"], &root())), "::");
    let listed = |m: &[String]| STILL_CYCLIC.iter().any(|l| l.len() == m.len() && l.iter().zip(m).all(|(a, b)| a == b));
    let mut bad: Vec<String> = found.iter().filter(|(m, _)| !listed(m)).map(|(_, text)| text.clone()).collect();
    bad.extend(
        STILL_CYCLIC
            .iter()
            .filter(|l| !found.iter().any(|(m, _)| m == *l))
            .map(|l| format!("{} is no longer a cycle as listed: take it off STILL_CYCLIC", l.join(", "))),
    );
    let now: Vec<&Vec<String>> = found.iter().map(|(m, _)| m).collect();
    assert!(bad.is_empty(), "import cycles in src/ (the cycles now: {now:?}):\n{}", bad.join("\n"));
}

/// The Python package's imports (inside functions too; an import under `if TYPE_CHECKING:`
/// counts like any other).
#[test]
fn no_module_of_the_python_package_imports_itself_back() {
    let sources = sources_under(&root().join("python/spinnsim"), &["py", "pyi"], &root().join("python"));
    let (refs, files) = python_references(&sources);
    assert!(refs.len() > 30, "only {} imports found", refs.len());
    let mut found = cycles(&refs, ".");
    found.extend(
        cycles(&files, ".").into_iter().filter(|(m, _)| !found.iter().any(|(n, _)| n == m)).collect::<Vec<_>>(),
    );
    let text: Vec<&str> = found.iter().map(|(_, t)| t.as_str()).collect();
    assert!(text.is_empty(), "{} import cycles in python/spinnsim:\n{}", text.len(), text.join("\n"));
}

fn sample(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files.iter().map(|(f, s)| (f.to_string(), s.to_string())).collect()
}

#[test]
fn a_cycle_between_two_rust_modules_is_found_and_a_parent_and_its_child_are_none() {
    let rust = sample(&[
        ("src/lib.rs", "pub mod a;\npub mod b;\npub use a::Thing;\n"),
        ("src/a/mod.rs", "mod inner;\nmod other;\npub use inner::Thing;\n"),
        ("src/a/inner.rs", "use super::super::b::{self, Other as O};\nuse super::other::X;\npub struct Thing;\n"),
        ("src/a/other.rs", "pub struct X(super::inner::Thing);\n"),
        (
            "src/b.rs",
            concat!(
                "// crate::a::x in a comment\n",
                "const S: &str = \"crate::a::x\";\n",
                "fn f() -> crate::Thing {\n",
                "    let _ = crate::a::Thing;\n",
                "}\n",
                "#[cfg(test)]\n",
                "mod tests {\n",
                "    use super::*;\n",
                "}\n",
            ),
        ),
    ]);
    let found = cycles(&rust_references(&rust), "::");
    let found: Vec<(Vec<&str>, &str)> =
        found.iter().map(|(m, t)| (m.iter().map(String::as_str).collect(), t.as_str())).collect();
    assert_eq!(
        found,
        [
            (vec!["a", "b"], "a → b (src/a/inner.rs:1) → a (src/b.rs:4)"),
            (vec!["a::inner", "a::other"], "a::inner → a::other (src/a/inner.rs:2) → a::inner (src/a/other.rs:1)"),
        ]
    );
    // `super::super` in an inline module leaves the inline module, then the file.
    let through_tests = sample(&[
        ("src/lib.rs", "pub mod a;\npub mod b;\n"),
        ("src/a.rs", "use crate::b::X;\n"),
        ("src/b.rs", "use super::X;\nmod tests {\n    use super::super::a::Y;\n}\n"),
    ]);
    assert_eq!(cycles(&rust_references(&through_tests), "::").len(), 1);
    // `b` uses the root (an ancestor), which declares `a`: no cycle.
    let acyclic = sample(&[
        ("src/lib.rs", "pub mod a;\npub mod b;\npub use b::X;\n"),
        ("src/a.rs", "use crate::b::X;\n"),
        ("src/b.rs", "use super::Y;\npub struct X;\n"),
    ]);
    assert!(cycles(&rust_references(&acyclic), "::").is_empty());
}

#[test]
fn a_cycle_between_two_python_modules_is_found_and_a_package_and_its_module_are_none() {
    let python = sample(&[
        ("pkg/__init__.py", "from .a import f\nfrom .b import g\n"),
        (
            "pkg/a.py",
            concat!(
                "\"\"\"Says `from .b import g` in its docstring.\"\"\"\n",
                "from . import b  # not .c\n",
                "\n",
                "def f():\n",
                "    return b.g()\n",
            ),
        ),
        (
            "pkg/b.py",
            concat!(
                "import os\n",
                "\n",
                "def g():\n",
                "    if os:\n",
                "        from pkg.a import (\n",
                "            f,\n",
                "        )\n",
                "        return f\n",
            ),
        ),
    ]);
    let (refs, files) = python_references(&python);
    let found = cycles(&refs, ".");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].1, "pkg.a → pkg.b (python/pkg/a.py:2) → pkg.a (python/pkg/b.py:6)");
    assert_eq!(cycles(&files, ".").len(), 1, "the same, as files");
    // A module that takes a name from its package, whose `__init__` imports the module.
    let python =
        sample(&[("pkg/__init__.py", "from .a import f\nX = 1\n"), ("pkg/a.py", "def f():\n    from . import X\n")]);
    let (refs, files) = python_references(&python);
    assert!(cycles(&refs, ".").is_empty());
    assert_eq!(cycles(&files, ".")[0].1, "pkg → pkg.a (python/pkg/__init__.py:1) → pkg (python/pkg/a.py:2)");
    // Its submodule from the package: no cycle.
    let python = sample(&[
        ("pkg/__init__.py", "from .a import f\n"),
        ("pkg/a.py", "from . import b\n"),
        ("pkg/b.py", "X = 1\n"),
    ]);
    let (refs, files) = python_references(&python);
    assert!(cycles(&refs, ".").is_empty() && cycles(&files, ".").is_empty());
}
