# Shared helpers for the rules: paths, study and document lists. No analysis logic here.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(workflow.basedir) / "workflow"))

from qualsynth.config import validate_config as _validate_config  # noqa: E402
from qualsynth.errors import InputError  # noqa: E402
from qualsynth.ingest.document import document_id, list_transcripts  # noqa: E402

# The qualsynth command of the environment running Snakemake (.venv/bin/ after `make setup`).
QS = str(Path(sys.executable).parent / "qualsynth")
if not Path(QS).exists():
    QS = "qualsynth"


def validate_config_or_fail(cfg):
    """Clear one-line message naming the key, before snakemake's own schema check."""
    try:
        _validate_config(cfg, "config/config.yaml")
    except InputError as err:
        raise WorkflowError(f"invalid config: {err}")


def write_effective_config(cfg, path=".qualsynth/effective_config.yaml"):
    """Write the merged config (configfile + --configfile + --config) for the CLI to read.

    Rewritten only when its content changes; rules pass the path with ``--config`` and a
    hash of the sections they use as a param, so a config change reruns what it affects.
    """
    import yaml

    text = yaml.safe_dump(cfg, sort_keys=True, allow_unicode=True)
    target = Path(path)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return str(target)


def config_hash(*sections):
    """Short hash of config sections: a rule param, so edits to them trigger reruns."""
    import hashlib
    import json

    blob = json.dumps([config.get(s) for s in sections], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


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


def study_registers():
    """Every study's participants.csv that exists (a survey study may have none)."""
    paths = [study_folder(s) / "participants.csv" for s in STUDIES]
    return [str(p) for p in paths if p.exists()]


def study_sources():
    """Every raw source file of the corpus."""
    return [str(study_folder(s) / f) for s in STUDIES for f in DOCS[s].values()]


def as_list(value):
    """A config value naming one file or several, as a list (empty when unset)."""
    return [] if not value else [value] if isinstance(value, str) else list(value)


def model2vec_files():
    """The committed static embedding model's files (topics.model2vec.path): an input of
    every rule that embeds text, so edits to the model rerun it."""
    folder = Path(((config.get("topics") or {}).get("model2vec") or {}).get(
        "path", "models/minilm-l6-m2v"))
    names = ("model.safetensors", "tokenizer.json", "config.json", "SHA256SUMS")
    return [str(folder / name) for name in names]
