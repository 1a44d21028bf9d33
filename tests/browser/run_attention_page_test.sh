#!/usr/bin/env bash
# run_attention_page_test.sh PAGE.html SCREENSHOT.png [COLOURS.json]: the attention page's browser test
# (attention_page_test.mjs) in Debian's headless Chromium. playwright-core is installed on first use into
# ${EDGEFORMER_NODE_CACHE:-$HOME/.cache/edgeformer-node}. Exits 77, which ctest counts as a skip, when chromium or node
# is missing or playwright-core cannot be installed (no npm registry).
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: run_attention_page_test.sh PAGE.html SCREENSHOT.png [COLOURS.json]" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
# Checked with Debian bookworm's chromium 156; the last release whose engines still take node 18 (bookworm's nodejs).
playwright_version=1.61.1
skip() {
  echo "attention page browser test skipped: $*"
  exit 77
}

chromium=${EDGEFORMER_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$chromium" ] && [ -x "$chromium" ] ||
  skip "no chromium (Debian: apt-get install --no-install-recommends chromium)"
command -v node >/dev/null || skip "no node"

cache=${EDGEFORMER_NODE_CACHE:-${HOME:-/tmp}/.cache/edgeformer-node}
installed_version() {
  EDGEFORMER_NODE_CACHE=$cache node -p 2>/dev/null \
    'require(process.env.EDGEFORMER_NODE_CACHE + "/node_modules/playwright-core/package.json").version' || true
}
if [ "$(installed_version)" != "$playwright_version" ]; then
  command -v npm >/dev/null || skip "no npm to install playwright-core"
  mkdir -p "$cache"
  # Tests running at once share the cache: one installs, the others wait for it.
  exec 9>"$cache/.install.lock"
  flock 9
  if [ "$(installed_version)" != "$playwright_version" ]; then
    echo "installing playwright-core@$playwright_version into $cache"
    npm install --prefix "$cache" --no-audit --no-fund --loglevel=error "playwright-core@$playwright_version" >&2 ||
      skip "cannot install playwright-core@$playwright_version into $cache (is the npm registry reachable?)"
  fi
  exec 9>&-
fi
EDGEFORMER_NODE_CACHE=$cache EDGEFORMER_CHROMIUM=$chromium exec node "$here/attention_page_test.mjs" "$@"
