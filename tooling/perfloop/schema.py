"""JSON Schemas (draft 2020-12) shipped in the package: loading, checking, plain messages.

The schemas are the single source of field names. Checking a document yields located
problems; it also refuses YAML 1.1 pitfalls (`on`, `no`, `2026-01-01`) wherever the
schema expects plain text rather than a date.

The files in schemas/ share their types through `_defs.schema.json`, referred to by a
relative path and with no `$id`: read from the folder, each resolves against where it was
read (check-jsonschema --schemafile, an editor's relative `$schema`). What leaves the
package (`perfloop schema`, the site's schemas/) and what validates is *bundled*: the
shared types copied into the schema's own `$defs`, so it resolves alone, offline.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:  # python-jsonschema explains failures only: imported when one happens
    import jsonschema
    from jsonschema import Draft202012Validator

from .loader import Document, JsonPath, pitfall_message
from .problems import Problem

PACKAGE = os.path.dirname(os.path.abspath(__file__))
DEFS = "_defs.schema.json"


def _schema_files() -> dict[str, dict]:
    # read from the package folder, as store.fingerprint reads them (importlib.resources
    # would cost a pull request's check 8 ms to import)
    folder = os.path.join(PACKAGE, "schemas")
    found = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".schema.json"):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                found[name] = json.load(handle)
    return found


@cache
def _all() -> dict[str, dict]:
    return _schema_files()


def kinds() -> list[str]:
    return sorted(name.removesuffix(".schema.json") for name in _all() if not name.startswith("_"))


def schema_text(kind: str) -> str:
    """The bundled schema of `kind` as pretty JSON (`perfloop schema KIND`, the site)."""
    return json.dumps(bundled(kind), indent=2, ensure_ascii=False) + "\n"


@cache
def bundled(kind: str) -> dict:
    """The schema of `kind` with the shared types in its own `$defs`: self-contained."""
    schema = _all()[f"{kind}.schema.json"]
    if f"{kind}.schema.json" == DEFS:  # the shared types: self-contained already
        return schema
    shared = _all()[DEFS]["$defs"]
    own = schema.get("$defs", {})
    clash = sorted(set(own) & set(shared))
    if clash:  # a packaging mistake, caught by the tests
        raise ValueError(f"{kind}.schema.json defines shared types again: {clash}")
    out = _local_refs(schema)
    out["$defs"] = {**own, **shared}  # shared types refer to each other as #/$defs/…
    return out


def _local_refs(node: Any) -> Any:
    """A copy of `node` with `_defs.schema.json#…` references made local (`#…`)."""
    if isinstance(node, dict):
        return {
            k: (
                v.removeprefix(DEFS)
                if k == "$ref" and isinstance(v, str) and v.startswith(DEFS + "#")
                else _local_refs(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_local_refs(v) for v in node]
    return node


@cache
def validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(bundled(kind), format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def fast_validator(kind: str) -> Any:
    """jsonschema-rs (~100x faster) decides validity; python-jsonschema explains failures."""
    return jsonschema_rs.Draft202012Validator(bundled(kind), validate_formats=True)


def _field(path: JsonPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    return "a list"


_TYPE_NAMES = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}


def _message(err: jsonschema.ValidationError) -> tuple[JsonPath, str]:
    """A plain message for one schema error, and the path it is best located at."""
    path: JsonPath = tuple(err.absolute_path)
    where = _field(path)
    prefix = f"{where}: " if where else ""
    kind, value, schema = err.validator, err.instance, err.schema
    if kind == "required":
        missing = err.validator_value
        name = next((m for m in missing if m not in value), missing[0])
        return path, f"{prefix}missing required field '{name}'"
    if kind == "type":
        expected = err.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        want = " or ".join(_TYPE_NAMES.get(n, n) for n in names)
        got = _describe(value)
        tip = f' (quote it: "{value}")' if "string" in names and value is not None else ""
        return path, f"{prefix}expected {want}, got {got}{tip}"
    if kind == "pattern" and isinstance(value, str):
        if schema.get("pattern", "").startswith("^[a-z0-9][a-z0-9-]{0,62}$"):
            return path, (
                f"{prefix}{value!r} is not a valid id: use lower-case letters, digits and '-',"
                " starting with a letter or digit, at most 63 characters"
            )
        slashes = schema.get("pattern", "").count("/")
        if slashes == 1:  # a check-in's key: within its own file, so no owner
            return path, (
                f"{prefix}{value!r} is not a key of the form objective/kr (a key result of "
                "this file, without its owner)"
            )
        if slashes:
            return path, f"{prefix}{value!r} is not a reference of the form owner/objective[/kr]"
        return path, f"{prefix}{value!r} does not match {schema['pattern']}"
    if kind == "format" and err.validator_value == "date":
        return path, f"{prefix}{value!r} is not a valid date (YYYY-MM-DD)"
    if kind == "enum":
        options = ", ".join(str(o) for o in err.validator_value)
        return path, f"{prefix}{_describe(value)} is not one of: {options}"
    if kind == "propertyNames":
        bad = err.instance
        return path, f"{prefix}{bad!r} is not a valid key here"
    if kind in ("oneOf", "anyOf") and err.context:
        from jsonschema.exceptions import best_match

        best = best_match(err.context)
        return _message(best)
    return path, f"{prefix}{err.message}"


def _unknown_fields(err: jsonschema.ValidationError) -> list[tuple[JsonPath, str]]:
    """One message per unknown field, each located at its key, with a did-you-mean."""
    path: JsonPath = tuple(err.absolute_path)
    where = _field(path)
    known = list(err.schema.get("properties", {}))
    out = []
    for extra in (k for k in err.instance if k not in known):
        hint = difflib.get_close_matches(extra, known, n=1)
        if hint:
            tip = f"; did you mean '{hint[0]}'?"
        else:
            tip = f"; expected one of: {', '.join(known)}" if known else ""
        out.append(((*path, extra), f"unknown field '{extra}' in {where or 'the file'}{tip}"))
    return out


def _candidates(schema: dict, path: JsonPath) -> list[dict]:
    """Every subschema that could apply at `path` (our schemas use a small set of keywords)."""
    current = [schema]
    for part in path:
        nxt: list[dict] = []
        for sub in _expand(current):
            if isinstance(part, int):
                items = sub.get("items")
                if isinstance(items, dict):
                    nxt.append(items)
            else:
                props = sub.get("properties", {})
                if part in props:
                    nxt.append(props[part])
                    continue
                for pattern, pattern_schema in sub.get("patternProperties", {}).items():
                    if re.search(pattern, part):
                        nxt.append(pattern_schema)
                extra = sub.get("additionalProperties")
                if isinstance(extra, dict):
                    nxt.append(extra)
        current = nxt
    return list(_expand(current))


def _expand(schemas: list[dict]) -> Iterator[dict]:
    for sub in schemas:
        ref = sub.get("$ref")
        if ref:
            yield from _expand([_resolve(ref)])
            yield {k: v for k, v in sub.items() if k != "$ref"}
        for key in ("oneOf", "anyOf", "allOf"):
            yield from _expand(sub.get(key, []))
        yield sub


def _resolve(ref: str) -> dict:
    name, _, pointer = ref.partition("#")
    target: Any = _all()[name or DEFS]
    for part in pointer.strip("/").split("/") if pointer else []:
        target = target[part]
    return target


@lru_cache(maxsize=4096)  # bounded: the paths come from untrusted files
def _candidates_at(kind: str, shape: tuple[str | int, ...]) -> tuple[dict, ...]:
    return tuple(_candidates(_all()[f"{kind}.schema.json"], shape))


def _pitfall_problems(doc: Document, kind: str) -> Iterator[tuple[JsonPath, str]]:
    for path, pitfall in doc.pitfalls.items():
        objection = _objection(kind, _shape(path), pitfall)
        if objection == "boolean":
            value = doc_value(doc, path)
            yield path, f"{_field(path)}: {value} is YAML 1.1 for a boolean; write true or false"
        elif objection == "text":
            yield path, f"{_field(path)}: " + pitfall_message(doc_value(doc, path), pitfall)


def _shape(path: JsonPath) -> JsonPath:
    """A path with its list indices as 0: they do not change which subschema applies."""
    return tuple(0 if isinstance(p, int) else p for p in path)


@lru_cache(maxsize=4096)
def _objection(kind: str, shape: JsonPath, pitfall: str) -> str | None:
    """Why a pitfall at a path of this shape is a problem ("boolean": the field wants one;
    "text": it wants text, or is unknown), or None: a date where a date is expected, or a
    look-alike at a field that takes neither."""
    candidates = _candidates_at(kind, shape)
    if pitfall == "date" and any(c.get("format") == "date" for c in candidates):
        return None
    types = {c.get("type") for c in candidates}
    if pitfall == "bool" and "boolean" in types and "string" not in types:
        return "boolean"
    if "string" in types or not candidates:
        return "text"
    return None


def harmless(kind: str, pitfalls: dict[JsonPath, str]) -> bool:
    """Whether these YAML 1.1 look-alikes would draw no problem even if all were written
    plain: then whether they were quoted does not matter (fastload.py)."""
    return kind in kinds() and not any(
        _objection(kind, _shape(path), pitfall) for path, pitfall in pitfalls.items()
    )


def doc_value(doc: Document, path: JsonPath) -> Any:
    value = doc.data
    for part in path:
        value = value[part]
    return value


def check(doc: Document, kind: str) -> list[Problem]:
    """Schema problems of one parsed document, located and in plain words."""
    problems: list[Problem] = []
    pitfalls = dict(_pitfall_problems(doc, kind)) if doc.pitfalls else {}
    for path, message in pitfalls.items():
        problems.append(doc.problem(path, message))
    if fast_validator(kind).is_valid(doc.data):
        return problems
    for err in validator(kind).iter_errors(doc.data):
        if tuple(err.absolute_path) in pitfalls:
            continue  # already explained as a YAML 1.1 pitfall
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            found = _unknown_fields(err)
        else:
            found = [_message(err)]
        problems.extend(doc.problem(path, message) for path, message in found)
    return problems
