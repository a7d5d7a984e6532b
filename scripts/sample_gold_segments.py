"""Draw the stratified random sample of participant segments that were hand-coded as gold.

The sample is drawn once, from the ingested demo corpus, and recorded in
``data/raw/demo/gold/theme_coded_segments.csv`` (segment id, study, sha256 of the segment text) so
that a change of segmentation that would silently invalidate the gold is detected.

    .venv/bin/python scripts/sample_gold_segments.py \
        --out data/raw/demo/gold/theme_coded_segments.csv --worksheets restricted/gold_worksheets

Segments shorter than ``--min-words`` (greetings, "yes") are left out of the sample.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
from pathlib import Path

from qualsynth.config import load_config
from qualsynth.ingest.document import ingest_corpus_segments

QUOTA = {"workforce": 110, "dementia": 95, "place": 80, "quality": 125}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--config", default="config/config.yaml")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--min-words", type=int, default=20)
    parser.add_argument("--out", required=True)
    parser.add_argument("--worksheets", required=True,
                        help="restricted folder for the coders' worksheets (identifiable)")
    args = parser.parse_args()
    config = load_config(args.config)
    segments = [s for s in ingest_corpus_segments(config) if s["words"] >= args.min_words]
    rng = random.Random(args.seed)
    chosen: list[dict] = []
    for study, quota in QUOTA.items():
        pool = sorted((s for s in segments if s["study"] == study), key=lambda s: s["segment_id"])
        chosen += sorted(rng.sample(pool, min(quota, len(pool))), key=lambda s: s["segment_id"])
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["segment_id", "study", "text_sha256"])
        for seg in chosen:
            digest = hashlib.sha256(seg["text"].encode("utf-8")).hexdigest()
            writer.writerow([seg["segment_id"], seg["study"], digest])
    out_dir = Path(args.worksheets)
    out_dir.mkdir(parents=True, exist_ok=True)
    keep = ("segment_id", "study", "sector", "role", "region", "time_point", "question", "text")
    for study in QUOTA:
        with open(out_dir / f"{study}.jsonl", "w", encoding="utf-8") as handle:
            for seg in chosen:
                if seg["study"] == study:
                    handle.write(json.dumps({k: seg.get(k) for k in keep}) + "\n")
    print(f"sampled {len(chosen)} segments of {len(segments)} eligible")


if __name__ == "__main__":
    main()
