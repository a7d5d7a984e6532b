# Stage 2: de-identification. Reads the restricted ingest output and the registers; writes
# only de-identified tables to data/processed/deid/ and the pseudonym key table to
# restricted/keys/key_table.csv.
#
# The key table is deliberately NOT a declared output: Snakemake deletes outputs before a
# rule reruns, and the table must persist so that pseudonyms stay the same when the
# corpus grows (new people get new numbers, known people keep theirs). `qualsynth
# deidentify` verifies it against the secret on every run.

DEID = f"{PROCESSED}/deid"
DEID_KEY_TABLE = f"{RESTRICTED}/keys/key_table.csv"
DEID_GOLD = Path(config["data_root"]) / config.get("deid", {}).get("gold_file",
                                                                  "gold/pii_spans.csv")
# evaluation.json exists only where gold spans exist (the demo corpus); other rules and
# the report use this list as an input.
DEID_EVALUATION = [f"{DEID}/evaluation.json"] if DEID_GOLD.exists() else []


rule deidentify:
    input:
        ingest=all_ingested(),
        registers=study_registers(),
    output:
        segments=f"{DEID}/segments.jsonl",
        summary=f"{DEID}/summary.json",
        turns=f"{DEID}/turns.jsonl",
        documents=f"{DEID}/documents.jsonl",
        sites=f"{DEID}/sites.csv",
        audit=directory(f"{DEID}/audit"),
    log:
        f"{LOGS}/deid/deidentify.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("deid", "studies", "data_root"),
        out_dir=lambda wildcards, output: str(Path(output.segments).parent),
        key_table=DEID_KEY_TABLE,
    shell:
        "{params.qs} deidentify --config {params.config} --inputs {input.ingest} "
        "--out-dir {params.out_dir} --key-table {params.key_table} 2> {log}"


rule deid_evaluate:
    input:
        gold=str(DEID_GOLD),
        sources=study_sources(),
        registers=study_registers(),
    output:
        f"{DEID}/evaluation.json",
    log:
        f"{LOGS}/deid/evaluate.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("deid", "studies", "data_root"),
    shell:
        "{params.qs} deid-evaluate --config {params.config} --gold {input.gold} "
        "--out {output} 2> {log}"


rule leakage_gate:
    input:
        deid=rules.deidentify.output,
        evaluation=DEID_EVALUATION,
        registers=study_registers(),
    output:
        f"{DEID}/leakage_gate.json",
    log:
        f"{LOGS}/deid/leakage_gate.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("deid", "studies", "data_root"),
        deid_dir=lambda wildcards, output: str(Path(output[0]).parent),
    shell:
        "{params.qs} leakage-gate --config {params.config} --deid-dir {params.deid_dir} "
        "--out {output} 2> {log}"
