#!/usr/bin/env bash
# Regenerates every file in samples/ from the shipped models (run from the repository root).
set -euo pipefail
cd "$(dirname "$0")"
seqgen generate chorale --seed 1 --plot --force -o chorale-seed1.mid
seqgen generate chorale --seed 2 --temperature 0.8 --plot --force -o chorale-t0.8.mid
seqgen generate chorale --seed 3 --top-p 0.9 --steps 192 --plot --force -o chorale-topp0.9-long.mid
seqgen generate chorale --primer bwv269 --primer-steps 16 --seed 4 --plot --force -o chorale-primer-bwv269.mid
seqgen generate text --prompt "ROMEO:" --length 600 --seed 1 --temperature 0.8 --force -o shakespeare-romeo-seed1.txt
seqgen generate text --prompt "ROMEO:" --length 600 --seed 2 --temperature 0.8 --force -o shakespeare-romeo-seed2.txt
seqgen generate text --prompt "HAMLET:
To be" --length 600 --seed 3 --top-p 0.9 --force -o shakespeare-hamlet-topp0.9.txt
seqgen harmonize bwv269 --particles 32 --seed 1 --force -o harmonized-bwv269.mid
seqgen infill bwv269 --bars 5-6 --voices alto,tenor --seed 1 --force -o infilled-bwv269-bars5-6.mid
seqgen render harmonized-bwv269.mid --sample-rate 16000 --force -o harmonized-bwv269.wav
seqgen render infilled-bwv269-bars5-6.mid --sample-rate 16000 --force -o infilled-bwv269-bars5-6.wav
