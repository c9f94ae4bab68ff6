#!/usr/bin/env bash
# Creates (or reuses) the Python venv at .cache/venv with gen/python's pinned runtime
# (gen/python/requirements.txt), for the Python client test and for trying the stubs.
# Idempotent: the venv is rebuilt only when requirements.txt or the base python changes
# (a hash of both is kept in .cache/venv/.requirements.sha256).
# Prints the venv's python path on stdout (all else goes to stderr), so callers can do
#   PY="$(scripts/setup-python.sh)"
# Env: PYTHON (the base interpreter, default python3).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.cache/venv"
req="$root/gen/python/requirements.txt"
base="${PYTHON:-python3}"

[[ -f "$req" ]] || { echo "setup-python: $req is missing (run npm run generate)" >&2; exit 1; }
base_version="$("$base" -c 'import sys; print(sys.version)')"
want="$( { cat "$req"; echo "$base_version"; } | sha256sum | cut -d' ' -f1)"
stamp="$venv/.requirements.sha256"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "setup-python: reusing $venv (requirements unchanged)" >&2
else
  echo "setup-python: creating $venv from $req" >&2
  rm -rf "$venv"
  "$base" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req" >&2
  # Proves the generated package imports with this runtime before the stamp is written.
  PYTHONPATH="$root/gen/python" "$venv/bin/python" -c \
    'import misar.analytics.v1.ingest_service_pb2_grpc, misar.analytics.v1.analytics_service_pb2_grpc, misar.analytics.v1.track_service_pb2_grpc' >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
