#!/usr/bin/env bash
# The client pipeline benchmark (ClientPipelineBenchmarks, BenchmarkDotNet full mode) against one emulator
# in a process of its own, warmed before the first benchmark starts: the raw and the secured client's
# processes then call the same warm server, and each benchmark's allocations are the client's alone
# (with the emulator in the benchmark's process, its allocations are counted in both).
#
#   [SECUREAOAI_BENCH_ROUNDS=N] benchmarks/client-pipeline.sh [more BenchmarkDotNet options]
#   python3 benchmarks/client_ratio.py BenchmarkDotNet.Artifacts/results/SecureAoai.Benchmarks.ClientPipelineBenchmarks-report-full.json
#
# SECUREAOAI_BENCH_ROUNDS=N runs the pair N times, taking turns (raw, secured, raw, secured, ...), so each
# round's ratio compares two processes run one after the other; client_ratio.py prints every round's ratio
# and, over the rounds, their geometric mean with a 95 % interval.
#
# The same benchmark with the emulator in each benchmark process:
#   dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- --filter '*ClientPipeline*'
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet build -c Release benchmarks/SecureAoai.Benchmarks >/dev/null
dll=benchmarks/SecureAoai.Benchmarks/bin/Release/net10.0/SecureAoai.Benchmarks.dll
work=$(mktemp -d)
rig="$work/emulator.json"

# Its standard input is a pipe this script holds: when the script ends, however it ends, the emulator does too.
exec 3> >(dotnet "$dll" emulator-host "$rig")
host=$!
trap 'exec 3>&-; wait "$host" 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 1 240); do
  [ -f "$rig" ] && break
  sleep 0.5
done
if [ ! -f "$rig" ]; then
  echo "client-pipeline.sh: the emulator did not start and warm up within 120 s" >&2
  exit 1
fi

SECUREAOAI_BENCH_EMULATOR="$rig" \
  dotnet run -c Release --no-build --project benchmarks/SecureAoai.Benchmarks -- --filter '*ClientPipeline*' "$@"
