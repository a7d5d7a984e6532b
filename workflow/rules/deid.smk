# Stage 2: de-identification. Reads the restricted ingest output; writes only de-identified
# tables to data/processed/ and the pseudonym key to the restricted folder.
# PLACEHOLDER until the de-identification issue lands.


rule deidentify:
    input:
        all_ingested(),
    output:
        segments=f"{PROCESSED}/deid/segments.jsonl",
        summary=f"{PROCESSED}/deid/summary.json",
    log:
        f"{LOGS}/deid/deidentify.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
    shell:
        "{params.qs} placeholder --stage deid --out {output.summary} --also {output.segments} "
        "2> {log}"


rule leakage_gate:
    input:
        rules.deidentify.output.segments,
    output:
        f"{PROCESSED}/deid/leakage_gate.json",
    log:
        f"{LOGS}/deid/leakage_gate.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
    shell:
        "{params.qs} placeholder --stage leakage_gate --out {output} 2> {log}"
