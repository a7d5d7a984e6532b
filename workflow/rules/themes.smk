# Stage 3a: rule-based theme tagging against the versioned codebook (Framework Method).
# PLACEHOLDER until the theme-tagging issue lands.


rule themes:
    input:
        segments=rules.deidentify.output.segments,
    output:
        f"{PROCESSED}/themes/codings.csv",
    log:
        f"{LOGS}/themes/themes.log",
    conda:
        "../../environment.yml"
    params:
        qs=QS,
    shell:
        "{params.qs} placeholder --stage themes --out {output} 2> {log}"
