#!/usr/bin/env bash
# A long property/fuzz pass: every parser property runs SCALE times its CI iteration count (default 100).
set -euo pipefail
cd "$(dirname "$0")/.."
CHORUS_FUZZ_SCALE="${1:-100}" dotnet test tests/Chorus.Protocol.Tests --filter "FullyQualifiedName~PropertyTests"
# The network fuzz passes against the real server (signed server API queries, WebSocket frame sequences), same scale.
CHORUS_FUZZ_SCALE="${1:-100}" dotnet test tests/Chorus.IntegrationTests --filter "FullyQualifiedName~NetworkFuzzTests"
