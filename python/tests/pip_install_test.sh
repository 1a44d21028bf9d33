#!/usr/bin/env bash
# The README's install command, checked: pip builds the package offline from the repository with Debian's Python,
# and the installed package converts and runs a model. (Into a target folder, so the system stays untouched.)
set -euo pipefail
root=$1
target=$(mktemp -d)
trap 'rm -rf "$target"' EXIT
/usr/bin/python3 -m pip install --quiet --no-build-isolation --no-deps --target "$target/site" "$root/python"
cd "$target"
PYTHONPATH="$target/site" /usr/bin/python3 - "$root" <<'PY'
import pathlib, sys
import edgeformer
root = pathlib.Path(sys.argv[1])
assert pathlib.Path(edgeformer.__file__).resolve().is_relative_to(pathlib.Path.cwd()), edgeformer.__file__
summary = edgeformer.convert(root / "tests" / "fixtures" / "gpt2-tiny", "gpt2.eft", quant="int8")
model = edgeformer.Model("gpt2.eft")
ids = model.generate_ids([1, 5, 9], max_tokens=8)
assert len(ids) == 8 and summary["quantization"] == "int8", (ids, summary)
print("pip install ./python: installed, converted and generated", ids)
PY
rm -rf "$root/python/build" "$root/python/edgeformer.egg-info"
