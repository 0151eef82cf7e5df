#!/usr/bin/env bash
# Regenerates every file in samples/ from the shipped models (run from the repository root).
set -euo pipefail
cd "$(dirname "$0")"
seqgen generate chorale --seed 1 --plot --force -o chorale-seed1.mid
seqgen generate chorale --seed 2 --temperature 0.8 --plot --force -o chorale-t0.8.mid
seqgen generate chorale --seed 3 --top-p 0.9 --steps 192 --plot --force -o chorale-topp0.9-long.mid
seqgen generate chorale --primer bwv269 --primer-steps 16 --seed 4 --plot --force -o chorale-primer-bwv269.mid
