//! The crate's modules import in layers: no module reaches, through any chain of imports,
//! back to itself. Checked from the source: every `crate::…` and `super::…` path (in `use`
//! lines, groups included, and inline) is resolved to the deepest module it names, and the
//! graph of those edges must have no cycle. A parent's edges to its own children
//! (declarations, re-exports) are structure, not imports, and are left out, but a path through
//! a re-export (`crate::Ctx`) counts as an import of the module that defines it. Comments and
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
    // Unit tests are the last item of a file, by this crate's convention.
    let body = match source.find("#[cfg(test)]\nmod tests") {
        Some(i) => &source[..i],
        None => source,
    };
    body.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a `use` tree names, each from `prefix`, with the name each binds: `a::{b, c::{d
/// as e}}` is `a::b` (as `b`) and `a::c::d` (as `e`). A glob binds no name.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<(Module, Option<String>)>) {
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
            let (path, rename) = match tree.split_once(" as ") {
                Some((p, n)) => (p, Some(n.trim().to_owned())),
                None => (tree, None),
            };
            let mut full = prefix.to_vec();
            full.extend(segments(path));
            let name = if path.trim().ends_with('*') {
                None
            } else {
                rename.or_else(|| full.last().cloned())
            };
            out.push((full, name));
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

/// The last `use` statement of a `;`-separated chunk of code: its tree after `use`.
fn use_tree(chunk: &str) -> Option<&str> {
    let bytes = chunk.as_bytes();
    let at = chunk
        .match_indices("use ")
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'))
        .last()?;
    Some(chunk[at + 4..].trim())
}

/// Where a path written in `module` starts: `crate`, `super…`, `self`, or one of its own
/// child modules (a relative path). `None` for anything else (an outside crate).
fn head_of(
    module: &Module,
    path: &str,
    mods: &BTreeMap<Module, String>,
) -> Option<(Module, usize)> {
    let first = path.split("::").next()?.trim();
    match first {
        "crate" => Some((Vec::new(), "crate".len())),
        "self" => Some((module.clone(), "self".len())),
        "super" => {
            let mut len = "super".len();
            while path[len..].starts_with("::super") {
                len += "::super".len();
            }
            anchor(module, &path[..len]).map(|m| (m, len))
        }
        child => {
            let mut m = module.clone();
            m.push(child.to_owned());
            mods.contains_key(&m).then(|| (module.clone(), 0))
        }
    }
}

/// Every `use` of a module: the path (from the crate root) and the name it binds there.
fn uses(
    module: &Module,
    code: &str,
    mods: &BTreeMap<Module, String>,
) -> Vec<(Module, Option<String>)> {
    let mut out = Vec::new();
    for chunk in code.split(';') {
        let Some(tree) = use_tree(chunk) else {
            continue;
        };
        if let Some((base, head_len)) = head_of(module, tree, mods) {
            expand(&base, tree[head_len..].trim_start_matches("::"), &mut out);
        }
    }
    out
}

/// The module a path names: the deepest module it starts with, or, where it goes on through
/// a name that module re-exports (`crate::Ctx`), the module that name
/// stands for.
fn resolve(
    path: &[String],
    mods: &BTreeMap<Module, String>,
    names: &BTreeMap<Module, BTreeMap<String, Module>>,
    depth: usize,
) -> Option<Module> {
    let n = (0..=path.len())
        .rev()
        .find(|&n| mods.contains_key(&path[..n]))?;
    let module = path[..n].to_vec();
    let alias = path
        .get(n)
        .and_then(|next| names.get(&module)?.get(next))
        .filter(|target| depth < 8 && target.as_slice() != path);
    match alias {
        Some(target) => {
            let mut through = target.clone();
            through.extend_from_slice(&path[n + 1..]);
            resolve(&through, mods, names, depth + 1).or(Some(module))
        }
        None => Some(module),
    }
}

/// Each module's imports: the modules its `use` statements and inline `crate::…` and
/// `super::…` paths name, re-exports followed.
fn edges(mods: &BTreeMap<Module, String>) -> BTreeMap<Module, BTreeSet<Module>> {
    let all_uses: BTreeMap<Module, Vec<(Module, Option<String>)>> = mods
        .iter()
        .map(|(m, code)| (m.clone(), uses(m, code, mods)))
        .collect();
    let names: BTreeMap<Module, BTreeMap<String, Module>> = all_uses
        .iter()
        .map(|(m, us)| {
            let bound = us
                .iter()
                .filter_map(|(path, name)| Some((name.clone()?, path.clone())))
                .collect();
            (m.clone(), bound)
        })
        .collect();
    let mut graph = BTreeMap::new();
    for (module, code) in mods {
        let mut paths: Vec<Module> = all_uses[module].iter().map(|(p, _)| p.clone()).collect();
        for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
            if !(word.starts_with("crate::") || word.starts_with("super::")) {
                continue;
            }
            if let Some((base, head_len)) = head_of(module, word, mods) {
                let mut path = base;
                path.extend(segments(&word[head_len..]));
                paths.push(path);
            }
        }
        let deps = paths
            .iter()
            .filter_map(|p| resolve(p, mods, &names, 0))
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
    // Through a re-export: `crate::Ctx` is the `ctx` module's.
    assert!(graph[&m("app::tenancy")].contains(&m("ctx")));
    let mut looped = graph.clone();
    looped
        .get_mut(&m("app::records::rows"))
        .expect("rows")
        .insert(m("app::records::write"));
    assert!(cycle(&looped).is_some());
}
