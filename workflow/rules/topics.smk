# Stage 3b: inductive topic modelling (BERTopic) on de-identified participant segments,
# fitted once on all studies pooled; see docs/data-contracts.md 3b. Runs after the leakage
# gate. The topic x code crosswalk is its own rule so topics never wait for theme tagging.

TOPICS_DIR = f"{PROCESSED}/topics"
_TOPICS_CFG = config.get("topics") or {}
# The committed static embedding model is an input (edits to it rerun the stage).
TOPICS_MODEL_INPUT = (
    model2vec_files() if _TOPICS_CFG.get("backend", "model2vec") == "model2vec" else []
)


rule topics:
    input:
        segments=rules.deidentify.output.segments,
        gate=rules.leakage_gate.output,
        model=TOPICS_MODEL_INPUT,
    output:
        topics=f"{TOPICS_DIR}/topics.csv",
        assignments=f"{TOPICS_DIR}/assignments.csv",
        by_group=f"{TOPICS_DIR}/by_group.csv",
        quality=f"{TOPICS_DIR}/quality.json",
        report=f"{TOPICS_DIR}/report.md",
        model=directory(f"{TOPICS_DIR}/model"),
    log:
        f"{LOGS}/topics/topics.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
        config=CONFIG,
        settings=config_hash("topics", "studies"),
        out_dir=lambda wildcards, output: str(Path(output.topics).parent),
    shell:
        "{params.qs} topics --config {params.config} --segments {input.segments} "
        "--out-dir {params.out_dir} > {log} 2>&1"


rule topic_crosswalk:
    input:
        assignments=rules.topics.output.assignments,
        topics=rules.topics.output.topics,
        codes=rules.themes.output.segment_codes,
    output:
        crosswalk=f"{TOPICS_DIR}/crosswalk.csv",
        by_topic=f"{TOPICS_DIR}/crosswalk_topics.csv",
        by_code=f"{TOPICS_DIR}/crosswalk_codes.csv",
    log:
        f"{LOGS}/topics/crosswalk.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
    shell:
        "{params.qs} topic-crosswalk --assignments {input.assignments} "
        "--topics {input.topics} --codes {input.codes} --out {output.crosswalk} "
        "> {log} 2>&1"
