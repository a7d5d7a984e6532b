"""Load, validate and hash the versioned codebook (``config/codebook.yaml``).

Validation is the JSON schema (``workflow/schemas/codebook.schema.yaml``) followed by
cross-field checks; every problem is raised as :class:`~qualsynth.errors.InputError`
naming the file, the line and what to change.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from qualsynth.errors import InputError

SCHEMA_PATH = Path(__file__).resolve().parents[1].parent / "schemas" / "codebook.schema.yaml"
RULE_KINDS = ("terms", "regex", "cooccurrence")
SCOPES = ("participant", "interviewer", "all")


@dataclass(frozen=True)
class Rule:
    """One auto-coding rule exactly as written in the codebook."""

    id: str
    code: str
    kind: str
    terms: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    window: int | str | None = None
    pattern: str | None = None
    case_sensitive: bool = False
    exclude: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    scope: str | None = None
    studies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Code:
    """A code: its place in the hierarchy, its documentation and its rules."""

    id: str
    name: str
    parent: str | None
    definition: str
    when_to_use: str
    when_not_to_use: str
    example: str
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Codebook:
    """A validated codebook with its version and content hash."""

    version: str
    title: str
    codes: tuple[Code, ...]
    hash: str
    source: str
    changelog: tuple[dict[str, Any], ...] = field(default=())

    @cached_property
    def by_id(self) -> dict[str, Code]:
        return {code.id: code for code in self.codes}

    @cached_property
    def ids(self) -> list[str]:
        """Code ids in codebook order."""
        return [code.id for code in self.codes]

    @cached_property
    def rules(self) -> list[Rule]:
        return [rule for code in self.codes for rule in code.rules]

    def ancestors(self, code_id: str) -> list[str]:
        """Parent, grandparent ... of ``code_id`` (nearest first)."""
        out: list[str] = []
        parent = self.by_id[code_id].parent
        while parent is not None:
            out.append(parent)
            parent = self.by_id[parent].parent
        return out

    def with_ancestors(self, code_ids: set[str] | list[str]) -> set[str]:
        """The codes plus every ancestor (the roll-up used for counts and agreement)."""
        out: set[str] = set()
        for cid in code_ids:
            out.add(cid)
            out.update(self.ancestors(cid))
        return out

    def depth(self, code_id: str) -> int:
        return len(self.ancestors(code_id))

    def top_level(self, code_id: str) -> str:
        chain = [code_id, *self.ancestors(code_id)]
        return chain[-1]


def load_schema() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


def _line_index(text: str) -> dict[tuple[Any, ...], int]:
    """Map every mapping key / sequence item path in the YAML to its 1-based line."""
    lines: dict[tuple[Any, ...], int] = {}
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return lines

    def walk(node: yaml.Node, path: tuple[Any, ...]) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, key.value)
                lines[sub] = key.start_mark.line + 1
                walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    if root is not None:
        walk(root, ())
    return lines


def _nearest_line(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _where(doc: dict[str, Any], path: tuple[Any, ...]) -> str:
    """Describe a schema path as 'code X' / 'rule Y' for the message."""
    parts: list[str] = []
    if len(path) >= 2 and path[0] == "codes" and isinstance(path[1], int):
        codes = doc.get("codes") or []
        code = codes[path[1]] if path[1] < len(codes) else {}
        cid = code.get("id") if isinstance(code, dict) else None
        parts.append(f"code {cid!r}" if cid else f"code #{path[1] + 1}")
        if len(path) >= 4 and path[2] == "rules" and isinstance(path[3], int):
            rules = code.get("rules") or [] if isinstance(code, dict) else []
            rule = rules[path[3]] if path[3] < len(rules) else {}
            rid = rule.get("id") if isinstance(rule, dict) else None
            parts.append(f"rule {rid!r}" if rid else f"rule #{path[3] + 1}")
            rest = path[4:]
        else:
            rest = path[2:]
    else:
        rest = path
    if rest:
        parts.append("field " + ".".join(str(p) for p in rest))
    return ", ".join(parts)


def _describe(error: jsonschema.ValidationError) -> str:
    validator = error.validator
    key = error.absolute_path[-1] if error.absolute_path else None
    if validator == "minItems" and key in ("terms", "context"):
        return (f"the rule has no {key}: add at least one word or phrase under '{key}' "
                "(or delete the rule)")
    if validator == "minItems" and key == "codes":
        return "the codebook has no codes: add at least one under 'codes'"
    if validator == "required":
        return error.message.replace("is a required property", "is required but missing")
    if validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{error.message}; allowed keys: {allowed}"
    if validator == "enum":
        return f"{error.instance!r} is not allowed; use one of: " + ", ".join(
            map(str, error.validator_value))
    if validator == "pattern":
        if key == "id" and "/" in error.validator_value:
            return (f"rule id {error.instance!r} must look like '<code id>/<name>' "
                    "(lower case, digits, '_', '-')")
        if key in ("id", "parent"):
            return (f"{error.instance!r} is not a valid code id: lower-case words joined "
                    "by dots, e.g. 'workforce.recruitment'")
        return f"{error.instance!r} does not match the pattern {error.validator_value}"
    if validator == "type":
        return f"{error.instance!r} should be of type {error.validator_value}"
    if validator == "minLength":
        return "must not be empty"
    if validator == "oneOf" and key == "window":
        return f"{error.instance!r}: window must be a number of words (0 or more) or 'sentence'"
    if validator == "oneOf" and key == "parent":
        return f"{error.instance!r}: parent must be a code id or null"
    return error.message


def canonical_hash(doc: dict[str, Any]) -> str:
    """sha256 of the parsed codebook as canonical JSON (comments and layout do not count)."""
    payload = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def validate_document(doc: Any, source: str | Path, text: str = "") -> None:
    """Raise InputError for the first problem in a parsed codebook document."""
    lines = _line_index(text) if text else {}
    if not isinstance(doc, dict):
        raise InputError(source, "the codebook must be a mapping with 'version' and 'codes'")
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: (
        _nearest_line(lines, tuple(e.absolute_path)) or 0, list(map(str, e.absolute_path))))
    if errors:
        err = errors[0]
        path = tuple(err.absolute_path)
        where = _where(doc, path)
        message = _describe(err)
        raise InputError(source, f"{where}: {message}" if where else message,
                         line=_nearest_line(lines, path))

    codes = doc["codes"]
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        cid = code["id"]
        if cid in seen:
            raise InputError(source, f"duplicate code id {cid!r} (first defined as code "
                             f"#{seen[cid] + 1}); give each code a unique id",
                             line=_nearest_line(lines, ("codes", i, "id")))
        seen[cid] = i
    rule_seen: dict[str, str] = {}
    for i, code in enumerate(codes):
        cid, parent = code["id"], code["parent"]
        line = _nearest_line(lines, ("codes", i, "parent"))
        if parent is not None:
            if parent not in seen:
                raise InputError(source, f"code {cid!r}: unknown parent {parent!r}; declare "
                                 "the parent code or fix the id", line=line)
            if parent == cid:
                raise InputError(source, f"code {cid!r} cannot be its own parent", line=line)
            if not cid.startswith(parent + "."):
                raise InputError(source, f"code {cid!r}: its id must start with its parent's "
                                 f"id {parent + '.'!r}", line=line)
        elif "." in cid:
            raise InputError(source, f"code {cid!r} has dots in its id but no parent; set "
                             f"parent: {cid.rsplit('.', 1)[0]}", line=line)
        for j, rule in enumerate(code["rules"]):
            _check_rule(rule, cid, source, rule_seen,
                        lambda key, i=i, j=j: _nearest_line(lines, ("codes", i, "rules", j, key)))


def _check_rule(rule: dict[str, Any], cid: str, source: str | Path, rule_seen: dict[str, str],
                line_of: Any) -> None:
    rid, kind = rule["id"], rule["kind"]
    where = f"code {cid!r}, rule {rid!r}"
    if not rid.startswith(cid + "/"):
        raise InputError(source, f"{where}: a rule id must start with its code id, e.g. "
                         f"'{cid}/terms'", line=line_of("id"))
    if rid in rule_seen:
        raise InputError(source, f"{where}: duplicate rule id (also used in code "
                         f"{rule_seen[rid]!r})", line=line_of("id"))
    rule_seen[rid] = cid
    allowed = {"terms": {"terms"}, "regex": {"pattern", "case_sensitive"},
               "cooccurrence": {"terms", "context", "window"}}[kind]
    for key in ("terms", "context", "window", "pattern", "case_sensitive"):
        if key in rule and key not in allowed:
            raise InputError(source, f"{where}: '{key}' does not apply to a {kind} rule "
                             f"(a {kind} rule takes: {', '.join(sorted(allowed))})",
                             line=line_of(key))
    if kind in ("terms", "cooccurrence") and not rule.get("terms"):
        raise InputError(source, f"{where}: the rule has no terms: add at least one word or "
                         "phrase under 'terms' (or delete the rule)", line=line_of("id"))
    if kind == "cooccurrence" and not rule.get("context"):
        raise InputError(source, f"{where}: a cooccurrence rule needs 'context' terms",
                         line=line_of("id"))
    if kind == "regex":
        if not rule.get("pattern"):
            raise InputError(source, f"{where}: a regex rule needs a 'pattern'",
                             line=line_of("id"))
        try:
            re.compile(rule["pattern"])
        except re.error as exc:
            raise InputError(source, f"{where}: the regular expression does not compile: "
                             f"{exc}", line=line_of("pattern")) from None
    from qualsynth.themes.rules import term_matchers

    for key in ("terms", "context", "exclude", "unless"):
        for term in rule.get(key, []) or []:
            if not term_matchers(term):
                raise InputError(source, f"{where}: {key} entry {term!r} has no words to "
                                 "match", line=line_of(key))
    terms = {term_matchers(t): t for t in rule.get("terms", []) or []}
    for key in ("exclude", "unless"):
        for term in rule.get(key, []) or []:
            same = terms.get(term_matchers(term))
            if same is not None:
                raise InputError(source, f"{where}: {key} entry {term!r} matches the same "
                                 f"word forms as the term {same!r}, so that term could never "
                                 "fire; make the exclusion a longer phrase", line=line_of(key))


def _build(doc: dict[str, Any], source: str) -> Codebook:
    codes = []
    for code in doc["codes"]:
        rules = []
        for rule in code["rules"]:
            rules.append(Rule(
                id=rule["id"], code=code["id"], kind=rule["kind"],
                terms=tuple(rule.get("terms", ()) or ()),
                context=tuple(rule.get("context", ()) or ()),
                window=rule.get("window"), pattern=rule.get("pattern"),
                case_sensitive=bool(rule.get("case_sensitive", False)),
                exclude=tuple(rule.get("exclude", ()) or ()),
                unless=tuple(rule.get("unless", ()) or ()),
                scope=rule.get("scope"),
                studies=tuple(rule.get("studies", ()) or ()),
            ))
        codes.append(Code(
            id=code["id"], name=code["name"], parent=code["parent"],
            definition=" ".join(code["definition"].split()),
            when_to_use=" ".join(code["when_to_use"].split()),
            when_not_to_use=" ".join(code["when_not_to_use"].split()),
            example=" ".join(code["example"].split()), rules=tuple(rules),
        ))
    return Codebook(version=doc["version"], title=doc.get("title", ""), codes=tuple(codes),
                    hash=canonical_hash(doc), source=source,
                    changelog=tuple(doc.get("changelog", []) or []))


def parse_codebook(text: str, source: str | Path = "<codebook>") -> Codebook:
    """Parse and validate codebook YAML text."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(source, f"not valid YAML: {getattr(exc, 'problem', exc)}",
                         line=mark.line + 1 if mark else None) from None
    validate_document(doc, source, text)
    return _build(doc, str(source))


def load_codebook(path: str | Path) -> Codebook:
    """Read, validate and hash a codebook file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "codebook file not found (themes.codebook in "
                         "config/config.yaml names it)") from None
    return parse_codebook(text, path)
