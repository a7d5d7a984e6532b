"""qualsynth: a reproducible pipeline for qualitative health-policy research.

Stages, one sub-package each: ``ingest`` -> ``deid`` -> ``themes`` / ``topics`` ->
``report``; ``provenance`` records what every output came from and ``corpus`` builds the
synthetic demo corpus.
"""

__version__ = "0.1.0"
