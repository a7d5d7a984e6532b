# Shared helpers for the rules: paths, study and document lists. No analysis logic here.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from qualsynth.config import validate_config as _validate_config  # noqa: E402
from qualsynth.errors import InputError  # noqa: E402
from qualsynth.ingest.document import document_id, list_transcripts  # noqa: E402

QS = str(Path(workflow.basedir) / ".venv" / "bin" / "qualsynth")
if not Path(QS).exists():
    QS = "qualsynth"


def validate_config_or_fail(cfg):
    """Clear one-line message naming the key, before snakemake's own schema check."""
    try:
        _validate_config(cfg, "config/config.yaml")
    except InputError as err:
        raise WorkflowError(f"invalid config: {err}")


PROCESSED = config.get("processed_dir", "data/processed")
RESTRICTED = config.get("restricted_dir", "restricted")
REPORTS = config.get("reports_dir", "reports")
LOGS = config.get("logs_dir", "logs")
STUDIES = [s["id"] for s in config.get("studies", [])]
STUDY = {s["id"]: s for s in config.get("studies", [])}


def study_folder(study):
    return Path(config["data_root"]) / STUDY[study]["data"]


def source_files(study):
    """File names of a study's inputs: transcripts plus the survey export, if any."""
    names = list_transcripts(study_folder(study))
    survey = STUDY[study].get("survey")
    if survey:
        names.append(survey["file"])
    return names


DOCS = {s: {document_id(f): f for f in source_files(s)} for s in STUDIES}


def ingested(study):
    return expand(f"{RESTRICTED}/ingest/{study}/{{doc}}.json", doc=sorted(DOCS[study]))


def all_ingested():
    return [path for s in STUDIES for path in ingested(s)]
