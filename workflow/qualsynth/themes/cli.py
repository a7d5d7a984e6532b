"""Command-line sub-commands of the themes stage.

``tag``, ``theme-matrices``, ``evaluate-coding`` and ``evaluate-holdout`` are the pipeline
steps;
``tag-text``, ``codebook-diff`` and ``validate-codebook`` are tools for researchers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

DEFAULT_CODEBOOK = "config/codebook.yaml"


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this stage's sub-commands."""
    p = sub.add_parser("tag", help="code de-identified segments with the codebook's rules "
                       "(writes codings.csv and segment_codes.csv)")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--segments", help="de-identified segments JSONL (default: "
                   "<processed_dir>/deid/segments.jsonl)")
    p.add_argument("--codebook", help="codebook YAML (default: themes.codebook)")
    p.add_argument("--codings", required=True, help="output codings.csv")
    p.add_argument("--segment-codes", required=True, help="output segment_codes.csv")
    p.add_argument("--patterns", help="coding-patterns model from `fit-patterns`: its codes "
                   "are added after the rules', and rule codings it vetoes are set aside")
    p.add_argument("--vetoed", help="output CSV of the rules' codings the coding patterns "
                   "set aside (themes.patterns.veto_below), with the code's probability")
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser("fit-patterns", help="learn coding patterns from gold coding "
                       "(themes.patterns): one linear model per code, written as JSON")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--segments", help="de-identified segments JSONL (for the demo gold)")
    p.add_argument("--codebook", help="codebook YAML (default: themes.codebook)")
    p.add_argument("--out", required=True, help="output patterns.json")
    p.set_defaults(func=cmd_fit_patterns)

    p = sub.add_parser("theme-matrices", help="case x code matrices and framework matrices "
                       "(CSV + XLSX) from the codings")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--segments", help="de-identified segments JSONL")
    p.add_argument("--codebook", help="codebook YAML (default: themes.codebook)")
    p.add_argument("--codings", required=True, help="codings.csv written by `tag`")
    p.add_argument("--evaluation", help="evaluation.json (adds low-agreement warnings)")
    p.add_argument("--holdout-evaluation", help="evaluation_holdout.json (adds the held-out "
                   "set's low-agreement warnings)")
    p.add_argument("--out-dir", required=True, help="folder for the matrices")
    p.set_defaults(func=cmd_matrices)

    p = sub.add_parser("evaluate-coding", help="agreement of the rules with the gold "
                       "coding: precision, recall, F1, kappa, alpha with bootstrap CIs")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--segments", help="de-identified segments JSONL")
    p.add_argument("--codebook", help="codebook YAML (default: themes.codebook)")
    p.add_argument("--codings", required=True, help="codings.csv written by `tag`")
    p.add_argument("--gold-codes", help="gold theme_codes.csv (default: themes.gold_codes)")
    p.add_argument("--gold-segments", help="gold theme_coded_segments.csv "
                   "(default: themes.gold_segments)")
    p.add_argument("--iterations", type=int, help="bootstrap iterations (default from config)")
    p.add_argument("--seed", type=int, help="bootstrap seed (default from config)")
    p.add_argument("--out", required=True, help="output evaluation.json")
    p.add_argument("--csv", help="also write the per-code table as CSV")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("evaluate-holdout", help="agreement of the rules with a held-out "
                       "gold set: texts the rules were never refined on (themes.holdout_texts)")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--codebook", help="codebook YAML (default: themes.codebook)")
    p.add_argument("--texts", nargs="+", help="held-out texts CSV(s): segment_id, study, "
                   "text; several sets are pooled (default: themes.holdout_texts)")
    p.add_argument("--gold-codes", nargs="+", help="their gold codes CSV(s): segment_id, "
                   "code, one per texts file in the same order (default: themes.holdout_codes)")
    p.add_argument("--second-codes", nargs="+", help="a second coder's codes for a sample of "
                   "the texts, one file per set that has one (default: "
                   "themes.holdout_second_codes unless --texts is given; 'none' to skip): "
                   "the second coder and the rules are each compared with the first coder")
    p.add_argument("--patterns", help="coding-patterns model from `fit-patterns` (as `tag` "
                   "used it)")
    p.add_argument("--iterations", type=int, help="bootstrap iterations (default from config)")
    p.add_argument("--seed", type=int, help="bootstrap seed (default from config)")
    p.add_argument("--out", required=True, help="output evaluation_holdout.json")
    p.add_argument("--csv", help="also write the per-code table as CSV")
    p.set_defaults(func=cmd_evaluate_holdout)

    p = sub.add_parser("tag-text", help="code any text: each non-empty line is one unit of "
                       "participant speech; prints one JSON object per line")
    p.add_argument("file", nargs="?", default="-", help="text file, or - for standard input")
    p.add_argument("--codebook", help=f"codebook YAML (default: {DEFAULT_CODEBOOK})")
    p.add_argument("--config", default="config/config.yaml",
                   help="read scope and co-occurrence window defaults from here if present")
    p.add_argument("--study", help="study id of the text, for rules limited to some studies "
                   "(without it those rules do not apply)")
    p.add_argument("--patterns", help="coding-patterns model from `fit-patterns`: its codes "
                   "follow the rules' on each line, and rule codes it vetoes are dropped")
    p.set_defaults(func=cmd_tag_text)

    p = sub.add_parser("codebook-diff", help="which segments gain or lose which codes when "
                       "OLD codebook is replaced by NEW")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--segments", help="segments JSONL to code (default: "
                   "<processed_dir>/deid/segments.jsonl)")
    p.add_argument("--out", help="write every change to this .csv or .json")
    p.add_argument("--limit", type=int, default=50, help="changes to print (default 50)")
    p.set_defaults(func=cmd_codebook_diff)

    p = sub.add_parser("validate-codebook", help="validate a codebook and print its version "
                       "and hash")
    p.add_argument("codebook", nargs="?", default=DEFAULT_CODEBOOK)
    p.set_defaults(func=cmd_validate_codebook)


# ----------------------------------------------------------------- helpers


def _themes_config(path: str, required: bool = True) -> dict[str, Any]:
    """The config, or an empty one when optional and absent."""
    from qualsynth.config import load_config

    if not required and not Path(path).exists():
        return {}
    return load_config(path)


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    themes = dict(config.get("themes") or {})
    themes.setdefault("codebook", DEFAULT_CODEBOOK)
    themes.setdefault("scope", "participant")
    themes.setdefault("cooccurrence_window", 8)
    themes.setdefault("matrix_by", ["study", "ics_label", "sector", "role", "time_point",
                                    "participant"])
    themes.setdefault("framework_case_by", ["ics_label", "time_point"])
    themes.setdefault("extracts_per_cell", 3)
    themes.setdefault("summaries_dir", "config/summaries")
    themes.setdefault("low_kappa_threshold", 0.41)
    themes.setdefault("min_gold_segments", 10)
    themes.setdefault("bootstrap_iterations", 1000)
    themes.setdefault("bootstrap_seed", 20240517)
    return themes


def _segments_path(config: dict[str, Any], given: str | None) -> str:
    if given:
        return given
    return str(Path(config.get("processed_dir", "data/processed")) / "deid" / "segments.jsonl")


def _load_codings_checked(path: str, codebook: Any) -> list[Any]:
    from qualsynth.errors import InputError
    from qualsynth.themes.tables import read_codings

    codings = read_codings(path)
    hashes = {c.codebook_hash for c in codings}
    if hashes and hashes != {codebook.hash}:
        raise InputError(path, f"codings were made with codebook hash(es) "
                         f"{', '.join(sorted(h[:12] for h in hashes))}, not "
                         f"{codebook.hash[:12]} ({codebook.source}); re-run `qualsynth tag`")
    return codings


def _with_patterns(patterns: str | None, codebook: Any, units: list[dict[str, Any]],
                   codings: list[Any]) -> Any:
    """The rules' ``codings`` after the coding-patterns model at ``patterns`` (learned codes
    added, vetoed rule codings set aside); unchanged without a model."""
    from qualsynth.themes.patterns import PatternResult, apply_patterns, load_patterns

    if not patterns:
        return PatternResult(list(codings), [], [])
    return apply_patterns(load_patterns(patterns, codebook), codebook, units, codings)


def _log(message: str) -> None:
    print(message, file=sys.stderr)


# ----------------------------------------------------------------- commands


def cmd_tag(args: argparse.Namespace) -> None:
    import time

    from qualsynth.themes.codebook import load_codebook
    from qualsynth.themes.engine import Engine
    from qualsynth.themes.matrices import SEGMENT_CODE_COLUMNS, segment_code_rows, segment_codes
    from qualsynth.themes.tables import load_segments, write_codings, write_csv, write_vetoed

    config = _themes_config(args.config)
    settings = _settings(config)
    codebook = load_codebook(args.codebook or settings["codebook"])
    segments = load_segments(_segments_path(config, args.segments))
    start = time.perf_counter()
    engine = Engine(codebook, settings["scope"], settings["cooccurrence_window"])
    result = _with_patterns(args.patterns, codebook, segments,
                            list(engine.tag_units(segments)))
    codings = result.codings
    elapsed = time.perf_counter() - start
    write_codings(args.codings, codings)
    if args.vetoed:
        write_vetoed(args.vetoed, result.vetoed)
    coded = segment_codes(codebook, codings)
    write_csv(args.segment_codes, SEGMENT_CODE_COLUMNS, segment_code_rows(segments, coded))
    _log(f"tag: codebook {codebook.version} ({codebook.hash[:12]}); {len(segments)} segments, "
         f"{len(codings)} codings ({len(result.learned)} from coding patterns; "
         f"{len(result.vetoed)} rule codings vetoed by them), {len(coded)} segments "
         "with at least one code; "
         f"{len(segments) / max(elapsed, 1e-9):.0f} segments/s")


def cmd_matrices(args: argparse.Namespace) -> None:
    from qualsynth.io import read_json
    from qualsynth.themes.codebook import load_codebook
    from qualsynth.themes.matrices import (
        FRAMEWORK_COLUMNS,
        MATRIX_COLUMNS,
        case_label,
        case_matrix,
        framework_matrix,
        load_summaries,
        segment_codes,
        write_framework_xlsx,
        write_matrices_xlsx,
    )
    from qualsynth.themes.tables import load_segments, write_csv

    config = _themes_config(args.config)
    settings = _settings(config)
    codebook = load_codebook(args.codebook or settings["codebook"])
    segments = load_segments(_segments_path(config, args.segments))
    codings = _load_codings_checked(args.codings, codebook)
    evaluation = None
    if args.evaluation and Path(args.evaluation).exists():
        evaluation = read_json(args.evaluation)
        if evaluation.get("codebook_hash") not in (None, codebook.hash):
            _log("theme-matrices: evaluation.json was made with another codebook; its "
                 "warnings are not used")
            evaluation = None
    if args.holdout_evaluation and Path(args.holdout_evaluation).exists():
        from qualsynth.themes.matrices import merge_holdout_flags

        holdout = read_json(args.holdout_evaluation)
        if holdout.get("codebook_hash") in (None, codebook.hash):
            evaluation = merge_holdout_flags(evaluation, holdout)
        else:
            _log("theme-matrices: evaluation_holdout.json was made with another codebook; "
                 "its warnings are not used")
    coded = segment_codes(codebook, codings)
    out = Path(args.out_dir)
    synthetic = bool(config.get("project", {}).get("synthetic"))
    matrices = {}
    for by in settings["matrix_by"]:
        rows = case_matrix(codebook, segments, coded, by, evaluation)
        write_csv(out / f"case_matrix_{by}.csv", MATRIX_COLUMNS, rows)
        matrices[by] = rows
    write_matrices_xlsx(out / "case_matrices.xlsx", matrices, synthetic)
    case_by = list(settings["framework_case_by"])
    for study in [s["id"] for s in config.get("studies", [])]:
        cases = {case_label(s, case_by) for s in segments if s["study"] == study}
        summaries = load_summaries(settings["summaries_dir"], study, codebook, cases)
        rows = framework_matrix(codebook, segments, coded, study, case_by,
                                settings["extracts_per_cell"], summaries, evaluation)
        write_csv(out / f"framework_{study}.csv", FRAMEWORK_COLUMNS, rows)
        write_framework_xlsx(out / f"framework_{study}.xlsx", rows, codebook, study, synthetic)
        _log(f"theme-matrices: {study}: {len(cases)} cases, {len(summaries)} human-written "
             "summaries")


def _score_and_write(args: argparse.Namespace, settings: dict[str, Any], codebook: Any,
                     coded_ids: list[str], gold: dict[str, set[str]], predicted: Any,
                     units: list[dict[str, Any]], provenance: dict[str, Any],
                     extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Agreement of ``predicted`` with ``gold``, written to ``--out`` (and ``--csv``)."""
    from qualsynth.io import write_json
    from qualsynth.themes.evaluate import EVALUATION_CSV_COLUMNS, evaluate, evaluation_csv_rows
    from qualsynth.themes.tables import write_csv

    result = evaluate(
        codebook, coded_ids, gold, predicted,
        iterations=args.iterations if args.iterations is not None
        else settings["bootstrap_iterations"],
        seed=args.seed if args.seed is not None else settings["bootstrap_seed"],
        low_kappa=settings["low_kappa_threshold"], min_gold=settings["min_gold_segments"],
        studies={u["segment_id"]: u["study"] for u in units},
    )
    result["gold"] = provenance
    result.update(extra or {})
    write_json(args.out, result)
    if args.csv:
        write_csv(args.csv, EVALUATION_CSV_COLUMNS, evaluation_csv_rows(result))
    return result


def pattern_embedder(config: dict[str, Any], config_path: str = "config") -> Any:
    """The sentence-embedding model coding patterns use: the topics' committed static model."""
    from qualsynth.errors import InputError
    from qualsynth.themes.patterns import load_embedder

    m2v = (config.get("topics") or {}).get("model2vec") or {}
    if not m2v.get("path") or not m2v.get("sha256"):
        raise InputError(config_path, "themes.patterns.embedding_weight > 0 "
                         "needs topics.model2vec.path and sha256 (the committed static model)",
                         field="topics.model2vec")
    return load_embedder(m2v["path"], m2v["sha256"])


def cmd_fit_patterns(args: argparse.Namespace) -> None:
    from qualsynth.themes.codebook import load_codebook
    from qualsynth.themes.patterns import fit_patterns, load_training
    from qualsynth.themes.tables import load_segments

    config = _themes_config(args.config)
    settings = _settings(config)
    conf = settings.get("patterns") or {}
    codebook = load_codebook(args.codebook or settings["codebook"])
    segments = load_segments(_segments_path(config, args.segments)) \
        if conf.get("use_demo_gold", True) and settings.get("gold_codes") else []
    texts, gold, provenance = load_training(settings, codebook, segments, args.config)
    weight = float(conf.get("embedding_weight", 0.0))
    model = fit_patterns(codebook, texts, gold, threshold=float(conf.get("threshold", 0.5)),
                         veto_below=float(conf.get("veto_below", 0.0)),
                         min_examples=int(conf.get("min_examples", 5)),
                         c=float(conf.get("C", 1.0)), training=provenance,
                         embedder=pattern_embedder(config, args.config) if weight > 0 else None,
                         embedding_weight=weight)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(model.to_json(), encoding="utf-8")
    _log(f"fit-patterns: {len(texts)} coded passages; {len(model.codes)} codes modelled, "
         f"vocabulary {len(model.vocabulary)}"
         + (f" + embedding ({model.embedding['dims']} dims, weight {weight})"
            if model.embedding else "") + f"; threshold {model.threshold}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from qualsynth.themes.codebook import load_codebook
    from qualsynth.themes.evaluate import gold_provenance, load_gold
    from qualsynth.themes.matrices import segment_codes
    from qualsynth.themes.tables import load_segments

    config = _themes_config(args.config)
    settings = _settings(config)
    codebook = load_codebook(args.codebook or settings["codebook"])
    segments = load_segments(_segments_path(config, args.segments))
    codings = _load_codings_checked(args.codings, codebook)
    gold_codes = args.gold_codes or settings.get("gold_codes")
    gold_segments = args.gold_segments or settings.get("gold_segments")
    if not gold_codes or not gold_segments:
        from qualsynth.errors import InputError

        raise InputError(args.config, "no gold files: set themes.gold_codes and "
                         "themes.gold_segments or pass --gold-codes/--gold-segments")
    known = {s["segment_id"] for s in segments}
    coded_ids, gold = load_gold(gold_codes, gold_segments, codebook, known)
    result = _score_and_write(args, settings, codebook, coded_ids, gold,
                              segment_codes(codebook, codings), segments,
                              gold_provenance(gold_codes, gold_segments))
    macro = result["macro"]["frequent_codes"]
    _log(f"evaluate-coding: {result['n_segments']} gold segments; codes with >= "
         f"{settings['min_gold_segments']} gold segments: {macro['n_codes']}; macro kappa "
         f"{macro['kappa']}, macro F1 {macro['f1']}; below recall target: "
         f"{', '.join(result['targets']['codes_below_recall_target']) or 'none'}")


def cmd_evaluate_holdout(args: argparse.Namespace) -> None:
    from qualsynth.errors import InputError
    from qualsynth.themes.codebook import load_codebook
    from qualsynth.themes.engine import Engine
    from qualsynth.themes.evaluate import (
        SECOND_CODER_MIN_GOLD,
        as_paths,
        compare_with_second_coder,
        gold_provenance,
        load_gold,
        load_pooled,
    )
    from qualsynth.themes.matrices import segment_codes

    config = _themes_config(args.config)
    settings = _settings(config)
    codebook = load_codebook(args.codebook or settings["codebook"])
    texts_paths = as_paths(args.texts or settings.get("holdout_texts"))
    codes_paths = as_paths(args.gold_codes or settings.get("holdout_codes"))
    if not texts_paths or not codes_paths:
        raise InputError(args.config, "no held-out gold: set themes.holdout_texts and "
                         "themes.holdout_codes or pass --texts/--gold-codes")
    studies = [s["id"] for s in config.get("studies", [])] or None
    units, coded_ids, gold = load_pooled(texts_paths, codes_paths, codebook, studies)
    engine = Engine(codebook, settings["scope"], settings["cooccurrence_window"])
    codings = _with_patterns(args.patterns, codebook, units,
                             list(engine.tag_units(units))).codings
    predicted = segment_codes(codebook, codings)
    provenance = {**gold_provenance(codes_paths, texts_paths), "role": "held-out",
                  "sets": len(texts_paths), "coding_patterns": bool(args.patterns)}
    extra: dict[str, Any] = {}
    # the configured second coding belongs to the configured texts: with --texts, only an
    # explicit --second-codes applies
    second_paths = as_paths(args.second_codes or (None if args.texts
                                                   else settings.get("holdout_second_codes")))
    if second_paths and second_paths != ["none"]:
        # each second coder's file lists its own sample: every passage in it, in file order
        sample, second = [], {}
        for path in second_paths:
            ids, codes = load_gold(path, path, codebook, set(coded_ids))
            sample += [i for i in ids if i not in second]
            second.update(codes)
        source = gold_provenance(second_paths, second_paths)
        extra["second_coder"] = {
            **compare_with_second_coder(codebook, sample, gold, second, predicted,
                                        min_gold=SECOND_CODER_MIN_GOLD,
                                        target_min_gold=settings["min_gold_segments"]),
            "codes_file": source["gold_codes"], "codes_sha256": source["gold_codes_sha256"],
            "coders": source["coders"]}
    result = _score_and_write(args, settings, codebook, coded_ids, gold, predicted, units,
                              provenance, extra)
    macro = result["macro"]["frequent_codes"]
    _log(f"evaluate-holdout: {result['n_segments']} held-out texts; codes with >= "
         f"{settings['min_gold_segments']} gold texts: {macro['n_codes']}; macro kappa "
         f"{macro['kappa']}, macro F1 {macro['f1']}")
    if "second_coder" in extra:
        both = extra["second_coder"]
        _log(f"evaluate-holdout: {both['n_passages']} passages coded twice; pooled kappa "
             f"with the first coder: second coder {both['second_coder']['pooled_kappa']}, "
             f"rules {both['rules']['pooled_kappa']}")


def cmd_tag_text(args: argparse.Namespace) -> None:
    from qualsynth.errors import InputError
    from qualsynth.themes.codebook import load_codebook
    from qualsynth.themes.engine import Engine, tag_lines

    config = _themes_config(args.config, required=False)
    settings = _settings(config)
    codebook = load_codebook(args.codebook or settings["codebook"])
    engine = Engine(codebook, settings["scope"], settings["cooccurrence_window"])
    if args.file == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = Path(args.file).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise InputError(args.file, "file not found") from None
        except UnicodeDecodeError:
            raise InputError(args.file, "not UTF-8 text") from None
    learned: dict[str, list[dict[str, str]]] = {}
    vetoed: set[tuple[str, str]] = set()
    if args.patterns:
        units = [{"segment_id": str(n), "study": args.study or "", "text": line}
                 for n, line in enumerate(lines, start=1) if line.strip()]
        applied = _with_patterns(args.patterns, codebook, units, list(engine.tag_units(units)))
        for c in applied.learned:
            learned.setdefault(c.segment_id, []).append(
                {"code": c.code, "rule": c.rule, "evidence": c.evidence})
        vetoed = {(c.segment_id, c.code) for c, _p in applied.vetoed}
    for result in tag_lines(engine, lines, args.study):
        line = str(result["line"])
        result["codes"] = [c for c in result["codes"] if (line, c["code"]) not in vetoed] \
            + learned.get(line, [])
        # key order as documented: line, then codes (code, rule, evidence)
        print(json.dumps(result, ensure_ascii=False))


def cmd_codebook_diff(args: argparse.Namespace) -> None:
    from qualsynth.themes.codebook import load_codebook
    from qualsynth.themes.diff import DIFF_COLUMNS, diff_codings, render_text
    from qualsynth.themes.tables import load_segments, write_csv

    config = _themes_config(args.config, required=False)
    settings = _settings(config)
    old, new = load_codebook(args.old), load_codebook(args.new)
    segments = load_segments(_segments_path(config, args.segments))
    result = diff_codings(old, new, segments, settings["scope"],
                          settings["cooccurrence_window"])
    print(render_text(result, args.limit))
    if args.out:
        if args.out.endswith(".json"):
            from qualsynth.io import write_json

            write_json(args.out, result)
        else:
            write_csv(args.out, DIFF_COLUMNS, result["changes"])


def cmd_validate_codebook(args: argparse.Namespace) -> None:
    from qualsynth.themes.codebook import load_codebook

    codebook = load_codebook(args.codebook)
    print(f"{args.codebook}: valid (version {codebook.version}, {len(codebook.codes)} codes, "
          f"{len(codebook.rules)} rules, sha256 {codebook.hash})")
