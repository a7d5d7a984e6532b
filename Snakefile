# qualsynth: ingest -> de-identify -> themes + topics -> reports.
# The logic lives in the `qualsynth` package (workflow/qualsynth); rules only call it.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"


validate_config_or_fail(config)
validate(config, "workflow/schemas/config.schema.yaml")
CONFIG = write_effective_config(config)


include: "workflow/rules/ingest.smk"
include: "workflow/rules/deid.smk"
include: "workflow/rules/themes.smk"
include: "workflow/rules/topics.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        rules.report_index.output,
    default_target: True
