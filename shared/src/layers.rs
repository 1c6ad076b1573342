//! The crate's modules import in layers: no module reaches, through any chain of imports,
//! back to itself. Checked from the source: every `crate::…` and `super::…` path (in `use`
//! lines, groups included, and inline) is resolved to the deepest module it names, and the
//! graph of those edges must have no cycle. A parent's edges to its own children
//! (declarations, re-exports) are structure, not imports, and are left out; comments and
//! unit tests are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

/// Every module of the crate (by path from the crate root) and its source.
fn modules(root: &Path) -> BTreeMap<Module, String> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("source dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .with_extension("");
            let mut parts: Module = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let source = std::fs::read_to_string(&path).expect("readable source");
            out.insert(parts, code_of(&source));
        }
    }
    out
}

/// The source without comments and without its unit tests.
fn code_of(source: &str) -> String {
    let body = match source.find("#[cfg(test)]\nmod tests") {
        Some(i) => &source[..i],
        None => source,
    };
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a `use` tree names, each from `prefix`: `a::{b, c::{d, e}}` is `a::b`, `a::c::d`
/// and `a::c::e`.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Module>) {
    let tree = tree.trim();
    match tree.find('{') {
        Some(open) => {
            let mut base = prefix.to_vec();
            base.extend(segments(&tree[..open]));
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&base, &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            expand(&base, &inner[start..], out);
        }
        None if !tree.is_empty() => {
            let mut path = prefix.to_vec();
            path.extend(segments(tree.split(" as ").next().unwrap_or(tree)));
            out.push(path);
        }
        None => {}
    }
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "self" && *s != "*")
        .map(str::to_owned)
        .collect()
}

/// Where `crate` or `super::super…` leads from `module`.
fn anchor(module: &Module, head: &str) -> Option<Module> {
    if head == "crate" {
        return Some(Vec::new());
    }
    let ups = head.split("::").filter(|s| *s == "super").count();
    module
        .len()
        .checked_sub(ups)
        .map(|keep| module[..keep].to_vec())
}

/// The module each path names: the deepest module the path starts with.
fn edges(mods: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut graph = BTreeMap::new();
    for (module, code) in mods {
        let mut paths = Vec::new();
        // `use` lines (groups included)...
        for stmt in code.split(';') {
            let Some(at) = stmt.find("use ") else {
                continue;
            };
            let tree = stmt[at + 4..].trim();
            let Some(head_end) = tree.find("::") else {
                continue;
            };
            let mut head_len = head_end;
            while tree[head_len..].starts_with("::super") {
                head_len += "::super".len();
            }
            let head = &tree[..head_len];
            if head != "crate" && head != "super" && !head.starts_with("super::") {
                continue;
            }
            if let Some(base) = anchor(module, head) {
                expand(&base, &tree[head_len + 2..], &mut paths);
            }
        }
        // ...and paths written inline.
        for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
            let head_len = if word.starts_with("crate::") {
                "crate".len()
            } else if word.starts_with("super::") {
                let mut n = "super".len();
                while word[n..].starts_with("::super") {
                    n += "::super".len();
                }
                n
            } else {
                continue;
            };
            if let Some(base) = anchor(module, &word[..head_len]) {
                let mut path = base;
                path.extend(segments(&word[head_len..]));
                paths.push(path);
            }
        }
        let deps = paths
            .into_iter()
            .filter_map(|p| {
                (0..=p.len())
                    .rev()
                    .map(|n| p[..n].to_vec())
                    .find(|m| mods.contains_key(m))
            })
            .filter(|d| d != module && !d.starts_with(module))
            .collect();
        graph.insert(module.clone(), deps);
    }
    graph
}

/// A cycle in the graph, as the modules on it, if there is one.
fn cycle(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        m: &Module,
        graph: &BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<Module, Mark>,
        stack: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        match marks.get(m) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = stack.iter().position(|s| s == m).unwrap_or(0);
                return Some(stack[from..].to_vec());
            }
            None => {}
        }
        marks.insert(m.clone(), Mark::Open);
        stack.push(m.clone());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(found) = visit(next, graph, marks, stack) {
                return Some(found);
            }
        }
        stack.pop();
        marks.insert(m.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut marks, &mut Vec::new()))
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".into()
    } else {
        m.join("::")
    }
}

fn crate_graph() -> BTreeMap<Module, BTreeSet<Module>> {
    edges(&modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")))
}

#[test]
fn no_module_imports_itself_through_others() {
    if let Some(cycle) = cycle(&crate_graph()) {
        let names: Vec<String> = cycle.iter().map(name).collect();
        panic!("an import cycle: {} -> back", names.join(" -> "));
    }
}

#[test]
fn the_graph_sees_imports_and_finds_a_cycle() {
    let graph = crate_graph();
    let m = |s: &str| s.split("::").map(str::to_owned).collect::<Module>();
    // A `use super::…` group, a `use crate::…` line and an inline path.
    let write = &graph[&m("app::records::write")];
    assert!(write.contains(&m("app::records::rows")), "{write:?}");
    assert!(write.contains(&m("app::identity")));
    assert!(graph[&m("http::dispatch")].contains(&m("http::routes")));
    let mut looped = graph.clone();
    looped
        .get_mut(&m("app::records::rows"))
        .expect("rows")
        .insert(m("app::records::write"));
    assert!(cycle(&looped).is_some());
}
