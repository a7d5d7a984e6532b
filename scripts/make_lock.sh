#!/usr/bin/env bash
# Regenerate requirements.lock: resolve requirements.in in a scratch venv, add bertopic
# without its declared torch-based dependencies, then pin every package with its sha256.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --upgrade pip
"$work/venv/bin/pip" install --quiet -r requirements.in
"$work/venv/bin/pip" install --quiet --no-deps bertopic==0.17.4
"$work/venv/bin/pip" freeze --all | grep -v -E '^(pip|wheel)==' > "$work/frozen.txt"
"$work/venv/bin/pip" download --quiet --no-deps -r "$work/frozen.txt" -d "$work/dl"
python3 - "$work" <<'PY'
import hashlib, pathlib, re, sys
work = pathlib.Path(sys.argv[1])
files = {}
for p in (work / "dl").iterdir():
    key = re.split(r"-\d", p.name, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")
    files[key] = p
out = ["# Hashed lock for the run-time and test environment (Python 3.11, Linux x86_64).",
       "# Installed with: pip install --no-deps --require-hashes -r requirements.lock",
       "# --no-deps because bertopic==0.17.4 declares sentence-transformers (hence torch),",
       "# which qualsynth never imports; every real dependency is listed here.",
       "# Regenerate with: make lock", ""]
for line in (work / "frozen.txt").read_text().split():
    name, version = line.split("==")
    digest = hashlib.sha256(files[name.lower().replace("_", "-").replace(".", "-")]
                            .read_bytes()).hexdigest()
    out.append(f"{name}=={version} \\\n    --hash=sha256:{digest}")
pathlib.Path("requirements.lock").write_text("\n".join(out) + "\n")
print(f"requirements.lock: {len(out) - 6} packages")
PY
