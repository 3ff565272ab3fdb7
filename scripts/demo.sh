#!/usr/bin/env bash
# The main job on the embedded default: phantom cases in the CirrMRI600+ layout, read back, one preprocessed,
# and a preview figure. Everything lands in demo/ (replaced on each run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
cli=.venv/bin/cirrhosis-staging
rm -rf demo
$cli phantom --out demo/phantoms --cases 6 --seed 7 --preview demo/phantom_stages.png
$cli dataset demo/phantoms
first_t2=$(ls demo/phantoms/Cirrhosis_T2_3D/test_images/*.nii.gz | head -n 1)
first_mask=${first_t2/test_images/test_masks}
$cli check "$first_t2" --mask "$first_mask"
$cli preprocess "$first_t2" --out demo/model_space_t2.nii.gz --n4
echo "demo outputs in $(pwd)/demo"
