//! House rules the compiler does not check: every section reference (`§`) in the code and the
//! shaders names a document of the repository and a section it has.

use std::collections::BTreeSet;
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
