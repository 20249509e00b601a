#!/usr/bin/env bash
# A crash soak: SIGKILL the server at N random points (default 200) while 50 clients chat, then check that every
# acknowledged message is present exactly once, sequence numbers have no gaps, and SQLite's integrity check passes.
set -euo pipefail
cd "$(dirname "$0")/.."
CHORUS_KILL_POINTS="${1:-200}" dotnet test tests/Chorus.IntegrationTests --filter "FullyQualifiedName~Server_killed_mid_stream" --logger "console;verbosity=detailed"
