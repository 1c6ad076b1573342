//! Each Lambda links only what it serves (issue 9, item 5): no function package pulls in the
//! embedded stand-ins (redb), which only the local stack and the tests build with.

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
        assert!(
            !tree.lines().any(|l| l.starts_with("redb ")),
            "{package} links redb"
        );
        checked += 1;
    }
    assert_eq!(checked, 9);
    // The local stack does, which is how the check above can fail.
    assert!(
        normal_dependencies("atelier-local")
            .lines()
            .any(|l| l.starts_with("redb "))
    );
}
