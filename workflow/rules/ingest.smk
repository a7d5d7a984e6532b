# Stage 1: ingestion. Identifiable output goes to the restricted folder only.


rule check_register:
    input:
        register=lambda wc: study_folder(wc.study) / "participants.csv",
        files=lambda wc: [study_folder(wc.study) / f for f in DOCS[wc.study].values()],
    output:
        f"{PROCESSED}/ingest/{{study}}/register_check.json",
    log:
        f"{LOGS}/ingest/{{study}}/check_register.log",
    params:
        qs=QS,
    shell:
        "{params.qs} check-register --study {wildcards.study} --out {output} 2> {log}"


rule ingest_document:
    input:
        source=lambda wc: study_folder(wc.study) / DOCS[wc.study][wc.doc],
        register=lambda wc: study_folder(wc.study) / "participants.csv",
    output:
        f"{RESTRICTED}/ingest/{{study}}/{{doc}}.json",
    log:
        f"{LOGS}/ingest/{{study}}/{{doc}}.log",
    params:
        qs=QS,
        file=lambda wc: DOCS[wc.study][wc.doc],
    shell:
        "{params.qs} ingest --study {wildcards.study} --file {params.file:q} --out {output} "
        "2> {log}"
