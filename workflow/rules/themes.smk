# Stage 3a: rule-based theme tagging against the versioned codebook (Framework Method:
# indexing and charting). Reads only de-identified segments; see docs/data-contracts.md 3a.
import shlex as _shlex
from pathlib import Path as _ThemesPath

THEMES_CFG = config.get("themes", {})
THEMES_DIR = f"{PROCESSED}/themes"
CODEBOOK = THEMES_CFG.get("codebook", "config/codebook.yaml")
GOLD_CODES = THEMES_CFG.get("gold_codes", "")
GOLD_SEGMENTS = THEMES_CFG.get("gold_segments", "")
# Evaluation runs only when both gold files exist (they are written by hand, not by a rule).
HAVE_GOLD = bool(GOLD_CODES and GOLD_SEGMENTS) and _ThemesPath(GOLD_CODES).exists() \
    and _ThemesPath(GOLD_SEGMENTS).exists()
# The held-out check runs only when both of its files exist (a gold set never used to refine
# the rules; texts outside the corpus, so they are tagged directly, not de-identified).
# Each may name one file or a list (held-out sets pooled).
HOLDOUT_TEXTS = as_list(THEMES_CFG.get("holdout_texts"))
HOLDOUT_CODES = as_list(THEMES_CFG.get("holdout_codes"))
# optional: a second coder's codes for a sample of the held-out texts
HOLDOUT_SECOND = as_list(THEMES_CFG.get("holdout_second_codes"))
HAVE_HOLDOUT = bool(HOLDOUT_TEXTS and HOLDOUT_CODES) and all(
    _ThemesPath(f).exists() for f in HOLDOUT_TEXTS + HOLDOUT_CODES)
MATRIX_BY = THEMES_CFG.get("matrix_by",
                           ["study", "ics_label", "sector", "role", "time_point", "participant"])
SUMMARIES = sorted(str(p) for p in _ThemesPath(THEMES_CFG.get("summaries_dir",
                                                             "config/summaries")).glob("*.csv"))
# Coding patterns (opt-in): codes learned from gold coding, added after the rules. Like
# the evaluation, they run only when their training files exist (a project without gold
# coding gets the rules alone, and the run says so).
PATTERNS_CFG = THEMES_CFG.get("patterns") or {}
PATTERN_SETS = [f"{d}/{f}" for d in PATTERNS_CFG.get("train_sets") or []
                for f in ("texts.csv", "codes.csv")]
PATTERN_GOLD = [GOLD_CODES, GOLD_SEGMENTS] if PATTERNS_CFG.get("use_demo_gold", True) else []
_PATTERN_MISSING = [f for f in PATTERN_GOLD + PATTERN_SETS if not _ThemesPath(f).exists()]
PATTERNS = ""
if PATTERNS_CFG.get("enabled"):
    if _PATTERN_MISSING or not (PATTERN_GOLD + PATTERN_SETS):
        print("themes.patterns.enabled, but training files are missing ("
              + (", ".join(_PATTERN_MISSING) or "none configured")
              + "): coding with the rules alone", file=sys.stderr)
    else:
        PATTERNS = f"{THEMES_DIR}/patterns.json"


# with embedding features, the committed static model is an input too
PATTERN_MODEL_INPUT = (
    model2vec_files() if float(PATTERNS_CFG.get("embedding_weight", 0) or 0) > 0 else []
)


rule themes_patterns:
    input:
        segments=rules.deidentify.output.segments,
        codebook=CODEBOOK,
        gold=PATTERN_GOLD,
        sets=PATTERN_SETS,
        embedding_model=PATTERN_MODEL_INPUT,
    output:
        model=f"{THEMES_DIR}/patterns.json",
    log:
        f"{LOGS}/themes/patterns.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("themes"),
    shell:
        "{params.qs} fit-patterns --config {params.config} --segments {input.segments} "
        "--codebook {input.codebook} --out {output.model} 2> {log}"


rule themes:
    input:
        segments=rules.deidentify.output.segments,
        codebook=CODEBOOK,
        patterns=[PATTERNS] if PATTERNS else [],
    output:
        codings=f"{THEMES_DIR}/codings.csv",
        segment_codes=f"{THEMES_DIR}/segment_codes.csv",
        vetoed=f"{THEMES_DIR}/vetoed_codings.csv",
    log:
        f"{LOGS}/themes/tag.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("themes"),
        patterns=f"--patterns {PATTERNS}" if PATTERNS else "",
    shell:
        "{params.qs} tag --config {params.config} --segments {input.segments} "
        "--codebook {input.codebook} {params.patterns} "
        "--codings {output.codings} --segment-codes {output.segment_codes} "
        "--vetoed {output.vetoed} 2> {log}"


rule themes_evaluate:
    input:
        segments=rules.deidentify.output.segments,
        codebook=CODEBOOK,
        codings=rules.themes.output.codings,
        gold_codes=GOLD_CODES,
        gold_segments=GOLD_SEGMENTS,
    output:
        json=f"{THEMES_DIR}/evaluation.json",
        csv=f"{THEMES_DIR}/evaluation.csv",
    log:
        f"{LOGS}/themes/evaluate.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("themes"),
    shell:
        "{params.qs} evaluate-coding --config {params.config} --segments {input.segments} "
        "--codebook {input.codebook} "
        "--codings {input.codings} --gold-codes {input.gold_codes:q} "
        "--gold-segments {input.gold_segments:q} --out {output.json} --csv {output.csv} "
        "2> {log}"


rule themes_matrices:
    input:
        segments=rules.deidentify.output.segments,
        codebook=CODEBOOK,
        codings=rules.themes.output.codings,
        evaluation=[f"{THEMES_DIR}/evaluation.json"] if HAVE_GOLD else [],
        holdout=[f"{THEMES_DIR}/evaluation_holdout.json"] if HAVE_HOLDOUT else [],
        summaries=SUMMARIES,
    output:
        matrices=expand(f"{THEMES_DIR}/case_matrix_{{by}}.csv", by=MATRIX_BY),
        workbook=f"{THEMES_DIR}/case_matrices.xlsx",
        framework=expand(f"{THEMES_DIR}/framework_{{study}}.{{ext}}", study=STUDIES,
                         ext=["csv", "xlsx"]),
    log:
        f"{LOGS}/themes/matrices.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("themes", "studies", "project"),
        out_dir=lambda wildcards, output: str(_ThemesPath(output.workbook).parent),
        evaluation=(f"--evaluation {THEMES_DIR}/evaluation.json" if HAVE_GOLD else "")
        + (f" --holdout-evaluation {THEMES_DIR}/evaluation_holdout.json" if HAVE_HOLDOUT
           else ""),
    shell:
        "{params.qs} theme-matrices --config {params.config} --segments {input.segments} "
        "--codebook {input.codebook} "
        "--codings {input.codings} {params.evaluation} --out-dir {params.out_dir} 2> {log}"


rule themes_holdout:
    input:
        codebook=CODEBOOK,
        texts=HOLDOUT_TEXTS,
        gold_codes=HOLDOUT_CODES,
        second_codes=HOLDOUT_SECOND,
        patterns=[PATTERNS] if PATTERNS else [],
    output:
        json=f"{THEMES_DIR}/evaluation_holdout.json",
        csv=f"{THEMES_DIR}/evaluation_holdout.csv",
    log:
        f"{LOGS}/themes/evaluate_holdout.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("themes", "studies"),
        second="--second-codes " + (" ".join(_shlex.quote(f) for f in HOLDOUT_SECOND)
                                     if HOLDOUT_SECOND else "none"),
        patterns=f"--patterns {PATTERNS}" if PATTERNS else "",
    shell:
        "{params.qs} evaluate-holdout --config {params.config} --codebook {input.codebook} "
        "--texts {input.texts:q} --gold-codes {input.gold_codes:q} {params.second} "
        "{params.patterns} "
        "--out {output.json} --csv {output.csv} 2> {log}"


rule themes_all:
    input:
        rules.themes.output,
        rules.themes_matrices.output,
        rules.themes_evaluate.output if HAVE_GOLD else [],
        rules.themes_holdout.output if HAVE_HOLDOUT else [],
    output:
        touch(f"{THEMES_DIR}/.done"),
    log:
        f"{LOGS}/themes/all.log",
    conda:
        "../../environment.yml"
    params:
        gold="evaluated against gold" if HAVE_GOLD else "no gold files: not evaluated",
    shell:
        "echo 'themes: {params.gold}' > {log}"
