#!/usr/bin/env bash
# Runs the Python client (test/clients/python/client.py) against a running server, in the
# .cache/venv that scripts/setup-python.sh makes (or reuses) from gen/python/requirements.txt.
# Env: MISAR_ADDR (host:port, plaintext gRPC), MISAR_API_KEY, MISAR_CAMPAIGN_ID.
# Exit status and output are the client's ("python client: ok" on success).
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$dir/../.." && pwd)"
python="$("$root/scripts/setup-python.sh")"
PYTHONPATH="$root/gen/python${PYTHONPATH:+:$PYTHONPATH}" exec "$python" "$dir/python/client.py"
