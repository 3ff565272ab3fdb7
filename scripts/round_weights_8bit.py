"""Weights rounded to 8 bits per slice of their first dimension (a convolution's output channel; biases and norms
to 16 bits), written back as float32 state dicts.

The fine-tunes since liver-spleen-slices 2.1.0 start from such copies: fold weights travel to the GPU machine this
way (its transfer is limited to 64 MiB with the prepared volumes), and the all-subject network is rounded the same
way so that it and its folds share one recipe. The rounding moves a weight by at most half a step, 0.4 % of the
largest weight in its slice.

    python scripts/round_weights_8bit.py Resources/Models/liver-spleen-folds-1.2.0.pt init --members
        -> init/fold0.pt ... init/fold4.pt (an ensemble file's members, in order)
    python scripts/round_weights_8bit.py Resources/Models/liver-spleen-slices-2.2.0.pt init/final.pt

--no-rounding writes them as they are (liver-spleen-slices 2.5.0 and its folds continued 2.4.0's exactly):

    python scripts/round_weights_8bit.py Resources/Models/liver-spleen-folds-1.4.0.pt init --members --no-rounding
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rounded(state: dict) -> dict:
    """Each weight of two or more dimensions to 8 bits per slice of its first dimension (symmetric, scale: the
    slice's largest magnitude / 127); other floating tensors to float16; all back to float32."""
    import torch

    out = {}
    for key, value in state.items():
        if value.is_floating_point() and value.dim() >= 2:
            flat = value.reshape(value.shape[0], -1).float()
            scale = flat.abs().amax(dim=1).clamp_min(1e-12) / 127.0
            steps = torch.round(flat / scale[:, None]).clamp(-127, 127)
            out[key] = (steps * scale[:, None]).reshape(value.shape)
        elif value.is_floating_point():
            out[key] = value.to(torch.float16).float()
        else:
            out[key] = value
    return out


def members(state: dict, path=None) -> list[dict]:
    """An ensemble file's members ('0.<key>', '1.<key>', ...), in order."""
    from CirrhosisStaging.errors import InputError

    if not all(key.split(".", 1)[0].isdigit() for key in state):
        raise InputError(path, "is not an ensemble file (keys '0.<name>', '1.<name>', ...): drop --members")
    indices = sorted({int(key.split(".", 1)[0]) for key in state})
    return [{key.split(".", 1)[1]: value for key, value in state.items() if key.split(".", 1)[0] == str(index)}
            for index in indices]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("weights", type=Path)
    parser.add_argument("out", type=Path, help="output file, or with --members a folder for fold<i>.pt")
    parser.add_argument("--members", action="store_true", help="split an ensemble file into its members")
    parser.add_argument("--no-rounding", action="store_true", help="write the weights unchanged")
    args = parser.parse_args()
    from CirrhosisStaging.errors import InputError
    from CirrhosisStaging.models.torch_files import load_torch_file
    from CirrhosisStaging.segmentation.training.publish import save_weights

    try:
        state = load_torch_file(args.weights)
        if not isinstance(state, dict) or "model" in state:
            raise InputError(args.weights, "is not a weights file (a state dict of tensors; a run's last.pt is a "
                                           "checkpoint: use its best.pt)")
        outputs = ([(part, args.out / f"fold{index}.pt") for index, part in enumerate(members(state, args.weights))]
                   if args.members else [(state, args.out)])
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for part, path in outputs:
        path.parent.mkdir(parents=True, exist_ok=True)
        save_weights(part if args.no_rounding else rounded(part), path)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
