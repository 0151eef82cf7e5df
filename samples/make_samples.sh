#!/usr/bin/env bash
# Regenerates every file in samples/ from the shipped models (run from the repository root).
# `make_samples.sh chorale` regenerates only the chorale files; SEQGEN=... picks the command
# (e.g. SEQGEN="python -m seqgen" from a checkout).
set -euo pipefail
cd "$(dirname "$0")"
SEQGEN=${SEQGEN:-seqgen}
PART=${1:-all}
$SEQGEN generate chorale --seed 1 --plot --force -o chorale-4phrases.mid  # the default: 4 phrases
$SEQGEN generate chorale --key "D minor" --seed 2 --plot --force -o chorale-dminor-4phrases.mid
$SEQGEN generate chorale --steps 128 --seed 1 --plot --force -o chorale-seed1.mid  # free sampling, no cadence
$SEQGEN generate chorale --steps 128 --seed 2 --temperature 0.8 --plot --force -o chorale-t0.8.mid
$SEQGEN generate chorale --seed 3 --top-p 0.9 --steps 192 --plot --force -o chorale-topp0.9-long.mid
$SEQGEN generate chorale --primer bwv269 --primer-steps 16 --steps 128 --seed 4 --plot --force -o chorale-primer-bwv269.mid
$SEQGEN harmonize bwv269 --particles 32 --seed 1 --force -o harmonized-bwv269.mid
$SEQGEN infill bwv269 --bars 5-6 --voices alto,tenor --seed 1 --force -o infilled-bwv269-bars5-6.mid
python -c "from seqgen.generate.judge import read_piece; from seqgen.generate.score_writer import piano_roll_png
piano_roll_png(read_piece('harmonized-bwv269.mid'), 'harmonized-bwv269.png', 'harmonized-bwv269', force=True)"
for piece in chorale-4phrases chorale-dminor-4phrases harmonized-bwv269 infilled-bwv269-bars5-6; do
  $SEQGEN render "$piece.mid" --sample-rate 16000 --force -o "$piece.wav"
done
if [ "$PART" != chorale ]; then
  $SEQGEN generate text --prompt "ROMEO:" --length 600 --seed 1 --temperature 0.8 --force -o shakespeare-romeo-seed1.txt
  $SEQGEN generate text --prompt "ROMEO:" --length 600 --seed 2 --temperature 0.8 --force -o shakespeare-romeo-seed2.txt
  $SEQGEN generate text --prompt "HAMLET:
To be" --length 600 --seed 3 --top-p 0.9 --force -o shakespeare-hamlet-topp0.9.txt
fi
