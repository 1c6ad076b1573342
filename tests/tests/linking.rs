//! Each Lambda links only what it serves (issue 9, item 5): no function package pulls in the
//! embedded stand-ins (redb), which only the local stack and the tests build with; password
//! hashing (argon2) is only in the function that checks passwords, CSV only in the CRM's.

fn has(tree: &str, krate: &str) -> bool {
    tree.lines().any(|l| l.starts_with(&format!("{krate} ")))
}

fn normal_dependencies(package: &str) -> String {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            package,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn no_function_links_the_embedded_stand_ins() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions");
    let mut checked = 0;
    for entry in std::fs::read_dir(root).unwrap() {
        let package = entry.unwrap().file_name().to_string_lossy().into_owned();
        let tree = normal_dependencies(&package);
        assert!(tree.contains("atelier-core"), "{package}: {tree}");
        assert!(!has(&tree, "redb"), "{package} links redb");
        assert_eq!(
            has(&tree, "argon2"),
            package == "api-auth",
            "{package}: argon2"
        );
        assert_eq!(has(&tree, "csv"), package == "api-crm", "{package}: csv");
        checked += 1;
    }
    assert_eq!(checked, 9);
    // The local stack does, which is how the check above can fail.
    let local = normal_dependencies("atelier-local");
    assert!(has(&local, "redb") && has(&local, "argon2") && has(&local, "csv"));
}
