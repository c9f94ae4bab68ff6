#!/usr/bin/env bash
# Fails (exit 1) when gen/ is not what `npm run generate` makes of the committed protos: a
# changed, deleted or untracked file under gen/. CI runs it; so can you before committing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

npm run --silent generate

# Untracked files count too: add them to a throwaway index (the real one is left alone) so that
# `git diff` shows them beside the changed files.
tmp_index="$(mktemp)"
trap 'rm -f "$tmp_index"' EXIT
cp "$(git rev-parse --git-dir)/index" "$tmp_index" 2>/dev/null || true
GIT_INDEX_FILE="$tmp_index" git add --intent-to-add -- gen/ >/dev/null 2>&1 || true

status="$(git status --porcelain --untracked-files=all -- gen/)"
if [[ -n "$status" ]] || ! GIT_INDEX_FILE="$tmp_index" git diff --quiet HEAD -- gen/; then
  echo "check-generated: gen/ is stale: run 'npm run generate' and commit the result." >&2
  echo "--- git status --porcelain gen/" >&2
  echo "$status" >&2
  echo "--- git diff --stat (untracked files included)" >&2
  GIT_INDEX_FILE="$tmp_index" git diff --stat HEAD -- gen/ >&2 || true
  exit 1
fi
echo "check-generated: gen/ is up to date"
