# Stage 4: reports, built only after the leakage gate passes.
# PLACEHOLDER until the reports issue lands.


rule report_index:
    input:
        gate=rules.leakage_gate.output,
        registers=expand(f"{PROCESSED}/ingest/{{study}}/register_check.json", study=STUDIES),
        themes=rules.themes.output,
        topics=rules.topics.output,
    output:
        f"{REPORTS}/index.html",
    log:
        f"{LOGS}/report/index.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
    shell:
        "{params.qs} placeholder --stage report --out {output} 2> {log}"
