# Stage 3b: topic modelling with BERTopic on de-identified participant segments.
# PLACEHOLDER until the topic-modelling issue lands.


rule topics:
    input:
        segments=rules.deidentify.output.segments,
    output:
        f"{PROCESSED}/topics/topics.csv",
    log:
        f"{LOGS}/topics/topics.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
    shell:
        "{params.qs} placeholder --stage topics --out {output} 2> {log}"
