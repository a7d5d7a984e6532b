# Stage 1: ingestion. Identifiable output goes to the restricted folder only.


rule check_register:
    input:
        register=lambda wc: study_folder(wc.study) / "participants.csv",
        files=lambda wc: [study_folder(wc.study) / f for f in DOCS[wc.study].values()],
    output:
        f"{PROCESSED}/ingest/{{study}}/register_check.json",
    log:
        f"{LOGS}/ingest/{{study}}/check_register.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("data_root", "studies"),
    shell:
        "{params.qs} check-register --config {params.config} --study {wildcards.study} "
        "--out {output} 2> {log}"


rule ingest_document:
    input:
        source=lambda wc: study_folder(wc.study) / DOCS[wc.study][wc.doc],
        register=lambda wc: study_folder(wc.study) / "participants.csv",
    output:
        f"{RESTRICTED}/ingest/{{study}}/{{doc}}.json",
    log:
        f"{LOGS}/ingest/{{study}}/{{doc}}.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("ingest", "studies"),
        file=lambda wc: DOCS[wc.study][wc.doc],
    shell:
        "{params.qs} ingest --config {params.config} --study {wildcards.study} "
        "--file {params.file:q} --out {output} 2> {log}"


rule ingest_all:
    """Convenience target: ingest every document and check every register."""
    input:
        all_ingested(),
        expand(f"{PROCESSED}/ingest/{{study}}/register_check.json", study=STUDIES),
    output:
        touch(f"{RESTRICTED}/ingest/.all_ingested"),
    log:
        f"{LOGS}/ingest/ingest_all.log",
    conda:
        "../../environment.yml"
    params:
        n=lambda wc, input: len(input),
    shell:
        "echo 'ingested {params.n} inputs' > {log}"
