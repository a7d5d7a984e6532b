# Stage 4: reports. Every rule takes the leakage gate's output as input, so no report is
# built before the gate passes. Notebooks run with papermill in the project venv's kernel
# (installed into .venv/share/jupyter/kernels/qualsynth on first use) and render to
# self-contained HTML under reports/.

REPORT_STUDIES = (config.get("report") or {}).get("studies") or STUDIES
REPORT_NAMES = {"index", "synthesis", "deid_audit", "coding_evaluation"}
if REPORT_NAMES & set(REPORT_STUDIES):
    raise WorkflowError(
        f"study id(s) {sorted(REPORT_NAMES & set(REPORT_STUDIES))} clash with report file "
        f"names ({', '.join(sorted(REPORT_NAMES))}); rename the study in config.studies"
    )

# The report code: edits re-render the reports.
REPORT_CODE = sorted(
    str(p) for p in (Path(workflow.basedir) / "workflow" / "qualsynth" / "report").glob("*.py")
)
REPORT_SETTINGS = config_hash("project", "studies", "report", "themes")


# Every raw source file and register that exists (hashed into provenance.json).
SOURCE_INPUTS = sorted(set(study_sources()) | set(study_registers()))


# Outputs the reports read (all de-identified); the gate output comes first. Optional
# evaluations are inputs only when their gold files exist (as in deid.smk / themes.smk).
UPSTREAM = {
    "gate": rules.leakage_gate.output,
    "deid": rules.deidentify.output,
    "deid_evaluation": DEID_EVALUATION,
    "themes": rules.themes.output,
    "matrices": rules.themes_matrices.output,
    "themes_evaluation": rules.themes_evaluate.output if HAVE_GOLD else [],
    "themes_holdout": rules.themes_holdout.output if HAVE_HOLDOUT else [],
    "topics": rules.topics.output,
    "crosswalk": rules.topic_crosswalk.output,
}
REPORT_DATA = {**UPSTREAM, "provenance": f"{PROCESSED}/provenance.json"}


rule provenance:
    input:
        **UPSTREAM,
        registers=expand(f"{PROCESSED}/ingest/{{study}}/register_check.json", study=STUDIES),
        codebook=CODEBOOK,
        codings=rules.themes.output.codings,
        sources=SOURCE_INPUTS,
    output:
        f"{PROCESSED}/provenance.json",
    log:
        f"{LOGS}/report/provenance.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("project", "studies", "ingest", "deid", "themes", "topics", "report"),
    shell:
        "{params.qs} provenance --config {params.config} --codings {input.codings:q} "
        "--codebook {input.codebook:q} --out {output} --inputs {input:q} 2> {log}"


rule report_study:
    input:
        **REPORT_DATA,
        register=f"{PROCESSED}/ingest/{{study}}/register_check.json",
        notebook="notebooks/study_report.ipynb",
        code=REPORT_CODE,
    output:
        f"{REPORTS}/{{study}}.html",
    log:
        f"{LOGS}/report/{{study}}.log",
    conda:
        "../../environment.yml"
    wildcard_constraints:
        study="|".join(REPORT_STUDIES) or "(?!)",
    params:
        qs=QS,
        config=CONFIG,
        settings=REPORT_SETTINGS,
    shell:
        "{params.qs} render-notebook --config {params.config} --notebook {input.notebook} "
        "-p study {wildcards.study} --out {output} 2> {log}"


rule report_synthesis:
    input:
        **REPORT_DATA,
        registers=expand(f"{PROCESSED}/ingest/{{study}}/register_check.json", study=STUDIES),
        notebook="notebooks/synthesis.ipynb",
        code=REPORT_CODE,
    output:
        f"{REPORTS}/synthesis.html",
    log:
        f"{LOGS}/report/synthesis.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=REPORT_SETTINGS,
    shell:
        "{params.qs} render-notebook --config {params.config} --notebook {input.notebook} "
        "--out {output} 2> {log}"


rule report_deid_audit:
    input:
        **REPORT_DATA,
        notebook="notebooks/deid_audit.ipynb",
        code=REPORT_CODE,
    output:
        f"{REPORTS}/deid_audit.html",
    log:
        f"{LOGS}/report/deid_audit.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=REPORT_SETTINGS,
    shell:
        "{params.qs} render-notebook --config {params.config} --notebook {input.notebook} "
        "--out {output} 2> {log}"


rule report_coding_evaluation:
    input:
        **REPORT_DATA,
        notebook="notebooks/coding_evaluation.ipynb",
        code=REPORT_CODE,
    output:
        f"{REPORTS}/coding_evaluation.html",
    log:
        f"{LOGS}/report/coding_evaluation.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=REPORT_SETTINGS,
    shell:
        "{params.qs} render-notebook --config {params.config} --notebook {input.notebook} "
        "--out {output} 2> {log}"


rule report_index:
    input:
        gate=rules.leakage_gate.output,
        studies=expand(f"{REPORTS}/{{study}}.html", study=REPORT_STUDIES),
        synthesis=rules.report_synthesis.output,
        deid_audit=rules.report_deid_audit.output,
        coding_evaluation=rules.report_coding_evaluation.output,
        provenance=rules.provenance.output,
    output:
        f"{REPORTS}/index.html",
    log:
        f"{LOGS}/report/index.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=REPORT_SETTINGS,
    shell:
        "{params.qs} report-index --config {params.config} --out {output} 2> {log}"
