#!/usr/bin/env bash
# Checks the working tree's protos for breaking changes against a git ref (default: main), with
# buf's FILE rules (buf.yaml). `buf breaking --against .git#branch=main` cannot be used: the
# third_party/ protos are symlinks into node_modules and .cache/protos (scripts/fetch-protos.mjs),
# which a git input does not have. So the ref is exported with `git archive` into a temp dir,
# node_modules and .cache are symlinked there, and the image built there is the `--against` input.
#   scripts/buf-breaking.sh [REF]     e.g. scripts/buf-breaking.sh origin/main
# A ref that has no buf.yaml or no protos yet (nothing to break) passes with a note.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ref="${1:-main}"
buf="$root/node_modules/.bin/buf"
cd "$root"
[[ -x "$buf" ]] || node scripts/ensure-deps.mjs
node scripts/fetch-protos.mjs

if ! git rev-parse --verify --quiet "$ref^{commit}" >/dev/null; then
  echo "buf-breaking: no such git ref: $ref" >&2
  exit 2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git archive --format=tar "$ref" | tar -x -C "$tmp"
if [[ ! -f "$tmp/buf.yaml" ]] || [[ -z "$(find "$tmp/proto" -name '*.proto' 2>/dev/null | head -1)" ]]; then
  echo "buf-breaking: $ref has no protos to compare with; nothing can break"
  exit 0
fi
rm -rf "$tmp/node_modules" "$tmp/.cache" && ln -s "$root/node_modules" "$tmp/node_modules" && ln -s "$root/.cache" "$tmp/.cache"
(cd "$tmp" && "$buf" build)

"$buf" breaking --against "$tmp"
echo "buf-breaking: no breaking changes against $ref ($(git rev-parse --short "$ref"))"
