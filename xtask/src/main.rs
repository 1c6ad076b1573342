//! `cargo xtask test|lint|bench`: what cargo alone can't do. Sets up the Python tools in a
//! venv, starts the AWS emulator on a free loopback port, runs every check, and stops what it
//! started, even on failure. Dependency-free so it builds in seconds.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str = "usage: cargo xtask <test|lint|bench|openapi>
  test   fmt check, clippy, the whole test suite (AWS adapters against moto, schemathesis
         against the local stack's OpenAPI), template lint
  lint   fmt check, clippy and template lint only
  bench  release build, then local-stack and adapter benchmarks, printed as figures
  openapi  write the OpenAPI document the code generates to shared/openapi.json";

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let started = Instant::now();
    let result = match task.as_str() {
        "test" => test(),
        "lint" => lint(),
        "bench" => bench(),
        "openapi" => openapi(),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => {
            eprintln!("xtask {task}: ok in {:.0?}", started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask {task}: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command to completion, failing with its description if it fails.
fn run(what: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("==> {what}");
    let started = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    eprintln!("    {what}: {:.1?}", started.elapsed());
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn test() -> Result<(), String> {
    let venv = venv()?;
    rust_lint()?;
    let moto = Moto::start(&venv)?;
    run(
        "cargo test --workspace",
        cargo()
            .args(["test", "--workspace", "--no-fail-fast"])
            .env("ATELIER_TEST_AWS_ENDPOINT", &moto.endpoint)
            .env("ATELIER_SCHEMATHESIS", venv.join("bin/schemathesis")),
    )?;
    drop(moto);
    template_lint(&venv)
}

fn lint() -> Result<(), String> {
    let venv = venv()?;
    rust_lint()?;
    template_lint(&venv)
}

fn rust_lint() -> Result<(), String> {
    run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--", "--check"]),
    )?;
    run(
        "cargo clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    // The functions alone, as each Lambda is built: the core without its embedded backend,
    // and each HTTP function with only its own route group (features unify within one cargo
    // invocation, so each is checked in its own; the consumers share the plain core).
    for group in function_builds() {
        let mut functions = cargo();
        functions.arg("clippy");
        for f in &group {
            functions.args(["-p", f]);
        }
        run(
            &format!("cargo clippy ({}, as deployed)", group.join(", ")),
            functions.args(["--", "-D", "warnings"]),
        )?;
    }
    Ok(())
}

/// The function packages grouped by the core features they build with: one cargo invocation
/// each, so no function is built with another's route group.
fn function_builds() -> Vec<Vec<&'static str>> {
    let (http, consumers): (Vec<&str>, Vec<&str>) =
        FUNCTIONS.iter().partition(|f| f.starts_with("api-"));
    let mut groups: Vec<Vec<&str>> = http.into_iter().map(|f| vec![f]).collect();
    groups.push(consumers);
    groups
}

fn template_lint(venv: &Path) -> Result<(), String> {
    run(
        "cfn-lint infra/template.yaml",
        Command::new(venv.join("bin/cfn-lint"))
            .current_dir(root())
            .arg("infra/template.yaml"),
    )?;
    run(
        "sam validate",
        Command::new(venv.join("bin/sam"))
            .current_dir(root())
            .args([
                "validate",
                "--template",
                "infra/template.yaml",
                "--region",
                "eu-west-1",
            ])
            .env("SAM_CLI_TELEMETRY", "0"),
    )
}

/// The Python tools, pinned in `xtask/requirements.txt`, in `target/xtask-venv`; reinstalled
/// only when the pins change.
fn venv() -> Result<PathBuf, String> {
    let dir = root().join("target/xtask-venv");
    let wanted = std::fs::read_to_string(root().join("xtask/requirements.txt"))
        .map_err(|e| e.to_string())?;
    let stamp = dir.join("installed-requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(dir);
    }
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    run(
        "python venv",
        Command::new(&python)
            .args(["-m", "venv", "--clear"])
            .arg(&dir),
    )?;
    run(
        "pip install -r xtask/requirements.txt",
        Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(root().join("xtask/requirements.txt")),
    )?;
    std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// moto's server on a free loopback port, stopped when dropped (also on a failing path).
struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start(venv: &Path) -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let log =
            std::fs::File::create(root().join("target/moto.log")).map_err(|e| e.to_string())?;
        let child = Command::new(venv.join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start moto_server: {e}"))?;
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("moto_server did not listen within 30 s (see target/moto.log)".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("==> moto listening on {}", moto.endpoint);
        Ok(moto)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes the OpenAPI document to `shared/openapi.json`, which `api-health` serves: generated
/// here because the generator needs every route group, and `api-health` compiles none.
fn openapi() -> Result<(), String> {
    let out = cargo()
        .args(["run", "-q", "-p", "atelier-local", "--", "openapi"])
        .output()
        .map_err(|e| format!("cargo run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "atelier openapi failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let path = root().join("shared/openapi.json");
    std::fs::write(&path, &out.stdout).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Every function package, as `functions/` holds them.
const FUNCTIONS: &[&str] = &[
    "api-health",
    "api-auth",
    "api-brands",
    "api-admin",
    "api-crm",
    "gmail-sync",
    "brand-export",
    "mail-send",
    "retention-sweep",
];

fn bench() -> Result<(), String> {
    // The functions in their own build, as each Lambda is built: features are unified
    // across one cargo invocation, and the local stack's would bring the embedded backend.
    for group in function_builds() {
        let mut functions = cargo();
        functions.args(["build", "--release"]);
        for f in &group {
            functions.args(["-p", f]);
        }
        run(
            &format!("cargo build --release ({})", group.join(", ")),
            &mut functions,
        )?;
    }
    run(
        "cargo build --release (atelier, benches)",
        cargo().args([
            "build",
            "--release",
            "-p",
            "atelier-local",
            "-p",
            "atelier-tests",
            "--bin",
            "atelier",
            "--bin",
            "bench",
            "--bin",
            "coldstart",
        ]),
    )?;
    let release = root().join("target/release");
    println!("\n== binary sizes (release: LTO, stripped; host target)");
    for bin in FUNCTIONS.iter().chain(&["atelier"]) {
        let size = std::fs::metadata(release.join(bin))
            .map_err(|e| format!("{bin}: {e}"))?
            .len();
        println!("{bin:<16} {:>6.1} MiB", size as f64 / (1024.0 * 1024.0));
    }
    run(
        "bench",
        Command::new(release.join("bench"))
            .arg(release.join("atelier"))
            .current_dir(root()),
    )?;
    let venv = venv()?;
    let moto = Moto::start(&venv)?;
    let cold = run(
        "cold starts",
        Command::new(release.join("coldstart"))
            .arg(&release)
            .env("ATELIER_TEST_AWS_ENDPOINT", &moto.endpoint)
            .current_dir(root()),
    );
    drop(moto);
    cold
}
