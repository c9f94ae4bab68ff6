#!/usr/bin/env bash
# Builds and runs the Go client (test/clients/go) against a running server.
# Env: MISAR_ADDR (host:port, plaintext gRPC), MISAR_API_KEY, MISAR_CAMPAIGN_ID.
# Exit status and output are the client's ("go client: ok" on success).
set -euo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$dir/../.." && pwd)"
out="$root/.cache/bin/misar-go-client"
cd "$dir/go"
# -mod=mod: go.sum is completed from the module cache / Go module proxy when needed.
GOFLAGS="${GOFLAGS:-} -mod=mod" go build -o "$out" .
exec "$out"
