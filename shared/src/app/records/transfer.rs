//! CSV import of contacts, and CSV export of contacts, companies and enquiries (P25).
//!
//! An import is checked whole before anything is written: every row is validated exactly as
//! a create would be, and duplicates (of existing contacts, or of an earlier row, by
//! normalised email or phone) are reported. A dry run stops there. A real run writes nothing
//! if any row is invalid (unless told to skip invalid rows); otherwise it writes rows in
//! transactions of 50, each row with its audit record, so no record is ever half-written. A
//! run cut short can be repeated: rows already imported are then duplicates, and skipped.

use super::custom;
use super::error::RecordError;
use super::kinds::{self, CONTACT, CUSTOM_FIELD};
use super::rows::{self, Attrs, text};
use super::spec::{self, Kind, Ty, Writable};
use super::write::{self, Lookups};
use crate::Ctx;
use crate::app::auth::Client;
use crate::app::brand_table::{BrandItem, BrandWrite};
use crate::app::tenancy::BrandScope;
use crate::domain::Permission;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

pub const MAX_IMPORT_ROWS: usize = 20_000;
const ROWS_PER_TRANSACTION: usize = 50;
const MAX_REPORTED: usize = 1000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    /// Leave duplicate rows out (the default).
    #[default]
    Skip,
    /// Import them as new contacts anyway.
    Create,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// The CSV text, with a header row.
    pub csv: String,
    /// Column header → target (`name`, `email`, `phone`, `tags`, `source`, `owner_id`,
    /// `company_id`, `notes`, `address.<part>`, `custom.<field id>`, `first_name`,
    /// `last_name`, or `ignore`). By default, headers that name a target map to it.
    #[serde(default)]
    pub mapping: Option<BTreeMap<String, String>>,
    /// Check and report only.
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub on_duplicate: OnDuplicate,
    /// Import the valid rows even if some are invalid.
    #[serde(default)]
    pub skip_invalid: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowIssue {
    /// The CSV line (the header is line 1).
    pub row: usize,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DuplicateRow {
    pub row: usize,
    /// email or phone.
    pub field: String,
    /// The existing contact it duplicates…
    pub existing_id: Option<String>,
    /// …or the earlier row.
    pub same_as_row: Option<usize>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Whether rows were written.
    pub committed: bool,
    pub rows: usize,
    pub valid: usize,
    pub created: usize,
    pub skipped_duplicates: usize,
    pub skipped_invalid: usize,
    /// Column → target actually used.
    pub mapping: BTreeMap<String, String>,
    pub ignored_columns: Vec<String>,
    pub duplicates: Vec<DuplicateRow>,
    pub errors: Vec<RowIssue>,
}

/// What a column may feed.
fn targets(kind: &Kind, defs: &[BrandItem]) -> Vec<String> {
    let mut out = vec!["first_name".to_owned(), "last_name".to_owned()];
    for f in kind.fields.iter().filter(|f| f.writable != Writable::Never) {
        match f.ty {
            Ty::Object(subs) => out.extend(subs.iter().map(|s| format!("{}.{}", f.name, s.name))),
            _ => out.push(f.name.to_owned()),
        }
    }
    out.extend(
        defs.iter()
            .map(|d| format!("custom.{}", CUSTOM_FIELD.id_of(d.key.sk()))),
    );
    out
}

fn header_key(h: &str) -> String {
    h.trim().to_lowercase().replace([' ', '-'], "_")
}

/// Undoes the export's guard against spreadsheet formulas.
fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// A cell as the JSON value a create body would hold.
fn cell_value(kind: &Kind, defs: &[BrandItem], target: &str, cell: &str) -> Value {
    let list = |c: &str| -> Value {
        // One entry past the largest list cap is enough for the check to refuse it.
        c.split([';', ','])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .take(spec::MAX_LIST + 1)
            .map(Value::from)
            .collect()
    };
    if let Some(id) = target.strip_prefix("custom.") {
        let t = defs
            .iter()
            .find(|d| CUSTOM_FIELD.id_of(d.key.sk()) == id)
            .and_then(|d| text(&d.attrs, "field_type"))
            .unwrap_or("text");
        return match t {
            "number" => cell
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::from(cell), Value::Number),
            "boolean" => match cell.to_lowercase().as_str() {
                "true" | "yes" | "1" => Value::Bool(true),
                "false" | "no" | "0" => Value::Bool(false),
                _ => Value::from(cell),
            },
            "multi_select" => list(cell),
            _ => Value::from(cell),
        };
    }
    match kind.field(target).map(|f| f.ty) {
        Some(Ty::Tags | Ty::Strings | Ty::Members | Ty::Refs(_)) => list(cell),
        Some(Ty::Int { .. }) => cell
            .parse::<i64>()
            .map_or_else(|_| Value::from(cell), Value::from),
        Some(Ty::Bool) => match cell.to_lowercase().as_str() {
            "true" | "yes" | "1" => Value::Bool(true),
            "false" | "no" | "0" => Value::Bool(false),
            _ => Value::from(cell),
        },
        _ => Value::from(cell),
    }
}

/// Checks and (unless a dry run) imports contacts from CSV.
pub async fn import_contacts(
    ctx: &Ctx,
    scope: &BrandScope,
    mut req: ImportRequest,
    client: &Client,
) -> Result<ImportReport, RecordError> {
    scope.require(Permission::WriteAssignedRecords)?;
    let kind: &'static Kind = &CONTACT;
    let defs = custom::definitions(ctx, scope, kind).await?;
    let allowed = targets(kind, &defs);

    let requested = req.mapping.take();
    let csv_text = std::mem::take(&mut req.csv);
    let parse_defs = defs.clone();
    // CSV parsing and cell conversion are CPU work proportional to the body: done on a
    // blocking thread, so one large import never stalls the requests sharing this worker.
    let Parsed {
        mapping,
        ignored,
        rows,
    } = tokio::task::spawn_blocking(move || {
        parse_rows(kind, &parse_defs, &allowed, requested.as_ref(), &csv_text)
    })
    .await
    .map_err(|e| RecordError::Store(crate::ports::StoreError::Unavailable(e.to_string())))??;

    let mut by_email: HashMap<String, (Option<String>, Option<usize>)> = HashMap::new();
    let mut by_phone: HashMap<String, (Option<String>, Option<usize>)> = HashMap::new();
    // Only contacts the caller may see count as duplicates: the report must not reveal the
    // ids (or the existence) of contacts hidden from a team member.
    for c in rows::scan(ctx, scope, kind)
        .await?
        .into_iter()
        .filter(|c| rows::visible(scope, kind, &c.attrs))
    {
        let id = kind.id_of(c.key.sk()).to_owned();
        if let Some(e) = text(&c.attrs, "email") {
            by_email.insert(e.to_owned(), (Some(id.clone()), None));
        }
        if let Some(p) = text(&c.attrs, "phone") {
            by_phone.insert(p.to_owned(), (Some(id), None));
        }
    }

    let mut report = ImportReport {
        dry_run: req.dry_run,
        committed: false,
        rows: 0,
        valid: 0,
        created: 0,
        skipped_duplicates: 0,
        skipped_invalid: 0,
        mapping,
        ignored_columns: ignored,
        duplicates: Vec::new(),
        errors: Vec::new(),
    };
    let mut lookups = Lookups::default();
    let mut ready: Vec<Vec<BrandWrite>> = Vec::new();
    report.rows = rows.len();
    for (i, (row, parsed)) in rows.into_iter().enumerate() {
        // Each row is cheap to check, but a file holds thousands: let other requests run.
        if i % 64 == 63 {
            tokio::task::yield_now().await;
        }
        let mut input = match parsed {
            Ok(input) => input,
            Err(message) => {
                push(&mut report.errors, row, "csv", message);
                continue;
            }
        };
        input.entry("source").or_insert_with(|| "import".into());
        let id = crate::domain::new_id(ctx.clock.as_ref()).to_string();
        let prepared = match write::prepare_create_with_id(
            ctx,
            scope,
            kind,
            &id,
            input,
            Attrs::new(),
            client,
            "import",
            &mut lookups,
        )
        .await
        {
            Ok(p) => p,
            Err(RecordError::Invalid(issues)) => {
                for issue in issues {
                    push(&mut report.errors, row, &issue.field, issue.message);
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        report.valid += 1;
        let mut duplicate = false;
        for (field, seen) in [("email", &mut by_email), ("phone", &mut by_phone)] {
            let Some(v) = text(&prepared.item.attrs, field) else {
                continue;
            };
            match seen.get(v) {
                Some((existing, earlier)) => {
                    duplicate = true;
                    if report.duplicates.len() < MAX_REPORTED {
                        report.duplicates.push(DuplicateRow {
                            row,
                            field: field.into(),
                            existing_id: existing.clone(),
                            same_as_row: *earlier,
                        });
                    }
                }
                None => {
                    seen.insert(v.to_owned(), (None, Some(row)));
                }
            }
        }
        if duplicate && req.on_duplicate == OnDuplicate::Skip {
            report.skipped_duplicates += 1;
            continue;
        }
        ready.push(prepared.writes);
    }
    let invalid_rows = report.rows - report.valid;
    if req.dry_run {
        return Ok(report);
    }
    if invalid_rows > 0 && !req.skip_invalid {
        let issues = report
            .errors
            .iter()
            .take(100)
            .map(|e| {
                super::spec::Issue::new(format!("row {}: {}", e.row, e.field), e.message.clone())
            })
            .collect();
        return Err(RecordError::Invalid(issues));
    }
    report.skipped_invalid = invalid_rows;
    for chunk in ready.chunks(ROWS_PER_TRANSACTION) {
        write::commit(ctx, scope, chunk.iter().flatten().cloned().collect()).await?;
        report.created += chunk.len();
    }
    report.committed = true;
    Ok(report)
}

/// An import's rows as create bodies, and the column mapping used.
struct Parsed {
    mapping: BTreeMap<String, String>,
    ignored: Vec<String>,
    /// (CSV line, the body a create would get — or why the line could not be read).
    rows: Vec<(usize, Result<Attrs, String>)>,
}

/// Reads the CSV: maps its columns and turns each line into a create body. Pure CPU work,
/// bounded by the row cap; run on a blocking thread.
fn parse_rows(
    kind: &'static Kind,
    defs: &[BrandItem],
    allowed: &[String],
    requested: Option<&BTreeMap<String, String>>,
    csv_text: &str,
) -> Result<Parsed, RecordError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| RecordError::invalid("csv", format!("no header row: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut mapping: BTreeMap<String, String> = BTreeMap::new();
    let mut ignored = Vec::new();
    let mut columns: Vec<Option<String>> = Vec::new();
    for h in &headers {
        let target = match requested {
            Some(m) => m.get(h).cloned(),
            None => Some(header_key(h)).filter(|k| allowed.contains(k)),
        };
        match target.filter(|t| t != "ignore") {
            Some(t) if allowed.contains(&t) => {
                mapping.insert(h.clone(), t.clone());
                columns.push(Some(t));
            }
            Some(t) => {
                return Err(RecordError::invalid(
                    format!("mapping.{h}"),
                    format!(
                        "{t} is not a contact field (targets: {})",
                        allowed.join(", ")
                    ),
                ));
            }
            None => {
                ignored.push(h.clone());
                columns.push(None);
            }
        }
    }
    if let Some(m) = requested {
        for column in m.keys() {
            if !headers.contains(column) {
                return Err(RecordError::invalid(
                    format!("mapping.{column}"),
                    "is not a column of the CSV",
                ));
            }
        }
    }
    if !columns
        .iter()
        .flatten()
        .any(|t| t == "name" || t == "first_name" || t == "last_name")
    {
        return Err(RecordError::invalid(
            "mapping",
            "no column maps to name (or first_name / last_name)",
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i + 2;
        if rows.len() >= MAX_IMPORT_ROWS {
            return Err(RecordError::invalid(
                "csv",
                format!("at most {MAX_IMPORT_ROWS} rows per import"),
            ));
        }
        rows.push((
            row,
            record
                .map(|r| row_input(kind, defs, &columns, &r))
                .map_err(|e| e.to_string()),
        ));
    }
    Ok(Parsed {
        mapping,
        ignored,
        rows,
    })
}

/// One CSV line as the body a create would get.
fn row_input(
    kind: &Kind,
    defs: &[BrandItem],
    columns: &[Option<String>],
    record: &csv::StringRecord,
) -> Attrs {
    let mut input = Attrs::new();
    let mut names: (Option<String>, Option<String>) = (None, None);
    let mut custom = serde_json::Map::new();
    for (cell, target) in record.iter().zip(columns) {
        let (Some(target), cell) = (target, unguard(cell.trim())) else {
            continue;
        };
        if cell.is_empty() {
            continue;
        }
        match target.as_str() {
            "first_name" => names.0 = Some(cell.to_owned()),
            "last_name" => names.1 = Some(cell.to_owned()),
            t if t.starts_with("custom.") => {
                custom.insert(
                    t["custom.".len()..].to_owned(),
                    cell_value(kind, defs, t, cell),
                );
            }
            t => match t.split_once('.') {
                Some((obj, sub)) => {
                    let entry = input
                        .entry(obj.to_owned())
                        .or_insert_with(|| Value::Object(Default::default()));
                    entry[sub] = Value::from(cell);
                }
                None => {
                    input.insert(t.to_owned(), cell_value(kind, defs, t, cell));
                }
            },
        }
    }
    if !input.contains_key("name") {
        let joined = [names.0, names.1]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !joined.is_empty() {
            input.insert("name".into(), joined.into());
        }
    }
    if !custom.is_empty() {
        input.insert("custom".into(), Value::Object(custom));
    }
    input
}

fn push(errors: &mut Vec<RowIssue>, row: usize, field: &str, message: String) {
    if errors.len() < MAX_REPORTED {
        errors.push(RowIssue {
            row,
            field: field.to_owned(),
            message,
        });
    }
}

/// Guards a cell against being run as a spreadsheet formula (OWASP CSV injection).
fn guard(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
    }
}

/// A CSV column's value in a record's view.
type Column = Box<dyn Fn(&Value) -> Option<Value> + Send + Sync>;

/// The kinds exported as CSV.
pub fn csv_kind(name: &str) -> Option<&'static Kind> {
    [&kinds::CONTACT, &kinds::COMPANY, &kinds::ENQUIRY]
        .into_iter()
        .find(|k| k.plural == name)
}

/// Every record of `kind` as CSV: id, each field (objects as `<field>.<part>` columns,
/// lists joined with `; `), each custom field as `custom.<id>`, and the timestamps.
pub async fn export_csv(ctx: &Ctx, scope: &BrandScope, kind: &Kind) -> Result<String, RecordError> {
    scope.require(Permission::ExportData)?;
    let defs = custom::definitions(ctx, scope, kind).await?;
    let mut columns: Vec<(String, Column)> = Vec::new();
    columns.push(("id".into(), Box::new(|v| v.get("id").cloned())));
    for f in kind.fields.iter().filter(|f| f.ty != Ty::StageHistory) {
        let name = f.name;
        match f.ty {
            Ty::Object(subs) => {
                for s in subs {
                    let sub = s.name;
                    columns.push((
                        format!("{name}.{sub}"),
                        Box::new(move |v| v.get(name).and_then(|o| o.get(sub)).cloned()),
                    ));
                }
            }
            _ => columns.push((name.into(), Box::new(move |v| v.get(name).cloned()))),
        }
    }
    for d in &defs {
        let id = CUSTOM_FIELD.id_of(d.key.sk()).to_owned();
        columns.push((
            format!("custom.{id}"),
            Box::new(move |v| v.get("custom").and_then(|c| c.get(&id)).cloned()),
        ));
    }
    for m in ["created_at", "updated_at"] {
        columns.push((m.into(), Box::new(move |v| v.get(m).cloned())));
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let internal =
        |e: csv::Error| RecordError::Store(crate::ports::StoreError::Invalid(e.to_string()));
    out.write_record(columns.iter().map(|(h, _)| h.as_str()))
        .map_err(internal)?;
    for item in rows::scan(ctx, scope, kind).await? {
        let v = rows::view(kind, &item);
        out.write_record(columns.iter().map(|(_, get)| guard(cell(get(&v).as_ref()))))
            .map_err(internal)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| RecordError::Store(crate::ports::StoreError::Invalid(e.to_string())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
