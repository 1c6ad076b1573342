"""What an OpenAPI schema cannot say, supplied the way schemathesis advises for it: by seeding
known data into the requests it calls valid ("positive" cases). Negative cases are left alone.

The document states each of these (opaque cursors; `x-references`; `x-rules`; slugs unique
across Atelier; custom values keyed by the brand's own field ids), but no generator can draw a
value that satisfies them, so without this every such request would be a false "valid request
refused":

- a pagination cursor is a value a list handed out: a made-up one is dropped;
- an id must be of a record (or member) of the caller's brand: `x-references` ids are pointed
  at records the test seeded (ATELIER_SEEDED);
- custom values are keyed by the brand's custom field ids: generated ones are dropped;
- a brand's slug is unique: a fresh one is drawn;
- `x-rules`, which hold between values (pairs in order; parameters not given together; a
  version named one of three ways; on a change, rules that hold on the record as stored):
  honoured;
- a CSV import's text must have a header naming a column for `name`;
- an upload's bytes must carry the real signature of their type;
- a new password must not be one of the most common ones.
"""

import json
import os
import re
import secrets
import urllib.request

import schemathesis

SEEDED = json.loads(os.environ["ATELIER_SEEDED"])
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DOCUMENT = None


def _document():
    global _DOCUMENT
    if _DOCUMENT is None:
        with urllib.request.urlopen(os.environ["ATELIER_OPENAPI_URL"]) as response:
            _DOCUMENT = json.load(response)
    return _DOCUMENT


def _resolve(schema):
    while isinstance(schema, dict) and "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = _document()["components"]["schemas"][name]
    return schema if isinstance(schema, dict) else {}


def _body_schema(case):
    operation = _document()["paths"].get(case.operation.path, {}).get(case.method.lower(), {})
    content = operation.get("requestBody", {}).get("content", {})
    return _resolve(content.get("application/json", {}).get("schema"))


def _seeded(kind):
    if kind == "record":
        return "contact:" + SEEDED["contact"]
    return SEEDED.get(kind)


def _fill(value, schema):
    """`value` with every `x-references` id replaced by a seeded one, walking `schema`."""
    schema = _resolve(schema)
    kind = schema.get("x-references")
    if kind and isinstance(value, str) and _seeded(kind):
        return _seeded(kind)
    if isinstance(value, list):
        return [_fill(v, schema.get("items", {})) for v in value]
    if isinstance(value, dict):
        properties = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []) + schema.get("anyOf", []):
            properties.update(_resolve(part).get("properties", {}))
        return {k: _fill(v, properties.get(k, {})) for k, v in value.items()}
    return value


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive(case):
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    mode = getattr(generation, "mode", None)
    return mode is not None and mode.is_positive


def _supply(case):
    """Seeds what the schema cannot say into a case the document calls valid."""
    if isinstance(case.query, dict):
        case.query.pop("cursor", None)
        # A CSV import's mapping names the CSV's own columns: the default (by header) is used.
        case.query.pop("mapping", None)
    path, method = case.operation.path, case.method.upper()
    operation = _document()["paths"].get(path, {}).get(method.lower(), {})
    if isinstance(case.query, dict):
        for rule in operation.get("x-rules", []):
            if rule["rule"] == "not_both":
                first, second = rule["parameters"]
                if first in case.query and second in case.query:
                    del case.query[second]
            if rule["rule"] == "at_least":
                high, low = rule["high"], rule["low"]
                if high in case.query and low in case.query:
                    # Plain dates compare as text; anything else (times with offsets) is not
                    # worth ordering here: the lower bound goes.
                    both_dates = all(_DATE.match(str(case.query[k])) for k in (high, low))
                    if not both_dates:
                        del case.query[low]
                    elif str(case.query[low]) > str(case.query[high]):
                        case.query[low], case.query[high] = case.query[high], case.query[low]
    if path == "/files" and method == "POST":
        # The body must carry the real signature of its type: plain text has none.
        case.media_type = "text/plain"
        case.body = b"Balloon arch: 3 m, gold and ivory.\n"
        if isinstance(case.query, dict) and "record" in case.query:
            case.query["record"] = _seeded("record")
    for rule in operation.get("x-rules", []):
        if rule["rule"] == "version_required":
            headers = case.headers or {}
            named = (
                headers.get(rule["header"], "").strip()
                or (isinstance(case.query, dict) and case.query.get(rule["query"]) is not None)
                or (isinstance(case.body, dict) and case.body.get(rule["body"]) is not None)
            )
            if not named:
                case.headers = {**headers, rule["header"]: '"1"'}
    if isinstance(case.body, dict):
        schema = _body_schema(case)
        body = _fill(case.body, schema)
        if isinstance(body.get("custom"), dict):
            body["custom"] = {}
        for rule in schema.get("x-rules", []):
            if method == "PATCH" and rule["rule"] in ("required_when", "reserved"):
                # These hold on the record as stored: a change that could break them, given
                # what is there, leaves those fields alone.
                for key in (rule.get("when"), rule["field"]):
                    body.pop(key, None)
                continue
            high, low = rule.get("high"), rule.get("low")
            if rule["rule"] != "at_least":
                continue
            if _number(body.get(high)) and _number(body.get(low)):
                if body[low] > body[high]:
                    body[low], body[high] = body[high], body[low]
            elif method == "PATCH":
                # The rule holds on the record as stored: one half alone may cross the other.
                body.pop(high, None)
                body.pop(low, None)
        # A new password must not be one of the breach corpus's most common ones: a random one
        # of the same length takes its place.
        for field in ("password", "new_password"):
            if isinstance(body.get(field), str) and path != "/auth/login":
                body[field] = secrets.token_hex(64)[: max(len(body[field]), 8)]
        if path == "/brands" and method == "POST":
            body["slug"] = "st-" + secrets.token_hex(6)
        if path == "/imports/contacts" and isinstance(body.get("csv"), str):
            body["csv"] = "name,email\nMia Chen,mia@client.example\n"
            body.pop("mapping", None)
        case.body = body
    elif path == "/imports/contacts" and isinstance(case.body, (str, bytes)):
        case.body = "name,email\nMia Chen,mia@client.example\n"
    return case


def _protect(case):
    """The seeded records stay, whatever the mode: a delete aimed at one, or a merge that
    would fold one away, goes to an id of nothing instead."""
    nothing = "01JD3Q0000000000000000000Z"
    if case.method.upper() == "DELETE" and isinstance(case.path_parameters, dict):
        if case.path_parameters.get("id") in SEEDED.values():
            case.path_parameters["id"] = nothing
    if case.operation.path.endswith("/merge") and isinstance(case.body, dict):
        if case.body.get("other_id") in SEEDED.values():
            case.body["other_id"] = nothing
    return case


@schemathesis.hook
def map_case(context, case):
    case = _protect(case)
    return _supply(case) if _positive(case) else case


@schemathesis.hook
def before_add_examples(context, examples):
    # Examples are requests the document itself calls valid.
    for i, case in enumerate(examples):
        examples[i] = _supply(_protect(case))
