#!/usr/bin/env bash
# The main job on the embedded default: a few phantom patients in the CirrMRI600+ layout, then the full
# pipeline (segment -> stage -> attention -> biomarkers -> report) on one paired T1W/T2W case.
# Everything lands in demo/ (replaced on each run); the report is demo/case/report.pdf (and .png).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
cli=.venv/bin/cirrhosis-staging
rm -rf demo
$cli phantom --out demo/phantoms --cases 3 --healthy 0 --seed 7 --no-2d --preview demo/phantom_stages.png
$cli dataset demo/phantoms > demo/dataset_summary.json
read -r t1 t2 < <(.venv/bin/python -c '
from CirrhosisStaging.data import CirrMRIDataset
patient = next(p for p in CirrMRIDataset("demo/phantoms").patients() if p.paired)
print(patient.t1.image, patient.t2.image)')
$cli run --t1 "$t1" --t2 "$t2" --out demo/case --case-label "Phantom demo case" --age 58 --ast 72 --alt 55 --platelets 118
echo "report: $(pwd)/demo/case/report.pdf"
