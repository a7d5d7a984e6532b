"""Command-line sub-commands of the topics stage: ``topics`` and ``topic-crosswalk``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register this stage's sub-commands."""
    p = sub.add_parser(
        "topics",
        help="fit BERTopic on all de-identified participant segments (pooled) and write the "
             "topic table, assignments, by-group counts, quality figures and the model",
    )
    p.add_argument("--segments", default="data/processed/deid/segments.jsonl")
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--out-dir", default="data/processed/topics")
    p.add_argument("--base-dir", default=".",
                   help="folder that relative paths in the config (the model path) start from")
    p.set_defaults(func=_cmd_topics)

    p = sub.add_parser(
        "topic-crosswalk",
        help="cross topics with codebook codes: overlap per pair, what topics the codebook "
             "misses (uncoded share) and which codes spread over many topics",
    )
    p.add_argument("--assignments", default="data/processed/topics/assignments.csv")
    p.add_argument("--topics", default="data/processed/topics/topics.csv")
    p.add_argument("--codes", default="data/processed/themes/segment_codes.csv")
    p.add_argument("--out", default="data/processed/topics/crosswalk.csv",
                   help="pairs table; crosswalk_topics.csv and crosswalk_codes.csv go beside it")
    p.set_defaults(func=_cmd_crosswalk)


def _cmd_topics(args: argparse.Namespace) -> int:
    from qualsynth.config import load_config
    from qualsynth.topics.pipeline import run_topics

    config = load_config(args.config)
    record = run_topics(args.segments, config, args.out_dir, base_dir=args.base_dir,
                        config_path=args.config)
    print(f"topics: status {record['status']}: {record['summary']}")
    if record.get("message"):
        print(f"topics: {record['message']}")
    if record["status"] == "ok":
        print(f"topics: {record['n_topics']} topics over {record['n_segments']} segments; "
              f"NPMI {record['npmi']:.3f}, diversity {record['diversity']:.3f}, "
              f"outlier share {record['outlier_share']:.3f}, "
              f"stability ARI {record['stability_ari']:.3f}")
    for study, entry in sorted(record["studies"].items()):
        if entry["status"] != "ok":
            print(f"topics: study {study}: {entry['status']}: {entry['message']}")
    return 0


def _cmd_crosswalk(args: argparse.Namespace) -> int:
    from qualsynth.topics import tables

    assignments = tables.read_csv(args.assignments, ["segment_id", "study", "topic"])
    topic_rows = tables.read_csv(args.topics, ["topic", "label"])
    codes = tables.read_csv(args.codes, ["segment_id", "study", "code"])
    labels = {int(r["topic"]): r["label"] for r in topic_rows}
    pairs, by_topic, by_code = tables.crosswalk(assignments, codes, labels)
    out = Path(args.out)
    tables.write_csv(out, tables.CROSSWALK_COLUMNS, pairs)
    tables.write_csv(out.with_name("crosswalk_topics.csv"), tables.CROSSWALK_TOPIC_COLUMNS,
                     by_topic)
    tables.write_csv(out.with_name("crosswalk_codes.csv"), tables.CROSSWALK_CODE_COLUMNS,
                     by_code)
    if not assignments:
        print("topic-crosswalk: no topic assignments (the corpus was not modelled); "
              "wrote empty tables")
    else:
        print(f"topic-crosswalk: {len(by_topic)} topics x {len(by_code)} codes -> {out}")
    return 0
