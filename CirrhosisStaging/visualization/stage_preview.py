"""README figure: one phantom patient per stage, T1W and T2W key slices with the liver outline."""

from __future__ import annotations

import os

from .slices import axial_views, display_window, key_slice

STAGES = {1: "mild", 2: "moderate", 3: "severe"}


def write_stage_preview(path: str | os.PathLike, seed: int = 0, size_scale: float = 1.0) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io.atomic import atomic_path
    from ..phantom import make_case

    figure, axes = plt.subplots(2, 3, figsize=(10.5, 7.4), facecolor="black")
    for column, (stage, name) in enumerate(STAGES.items()):
        for row, sequence in enumerate(("t1", "t2")):
            case = make_case(stage, seed * 10 + stage, sequence, size_scale=size_scale)
            image, mask, aspect = axial_views(case.image, case.liver_mask)
            index = key_slice(mask, image.shape[0])
            low, high = display_window(image)
            axis = axes[row, column]
            axis.imshow(image[index], cmap="gray", vmin=low, vmax=high, aspect=aspect, interpolation="nearest")
            axis.contour(mask[index] > 0, levels=[0.5], colors=["#dd8265"], linewidths=1.2)
            axis.set_axis_off()
            axis.set_title(f"{name} - {sequence.upper()}W", color="white", fontsize=11)
    figure.suptitle("Synthetic phantoms (not patients): liver outline in orange; patient's right on the left",
                    color="white", fontsize=10)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=90, facecolor="black", format="png")
    plt.close(figure)
