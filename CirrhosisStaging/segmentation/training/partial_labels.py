"""Loss for label maps that annotate only some classes (marginal loss).

Where a class is not annotated (CirrMRI600+ masks: liver only), its probability is merged into background
before the loss, so the network is never told that an unlabelled spleen is background.
"""

from __future__ import annotations


def marginal_dice_ce(logits, target, labelled_mask, dice_weight: float = 1.0, smooth: float = 1e-5):
    """Dice + cross-entropy over the classes each sample annotates.

    logits: (B, C, ...) raw outputs; target: (B, ...) integer labels; labelled_mask: (B, C) bool, True where
    the sample annotates the class (background always True).
    """
    import torch

    probabilities = torch.softmax(logits.float(), dim=1)
    classes = logits.shape[1]
    unlabelled = (~labelled_mask).float()[..., None].flatten(2)  # (B, C, 1)
    flat = probabilities.flatten(2)                               # (B, C, N)
    merged_background = flat[:, :1] + (flat * unlabelled).sum(dim=1, keepdim=True)
    merged = torch.cat([merged_background, flat[:, 1:] * (1 - unlabelled[:, 1:])], dim=1)
    one_hot = torch.nn.functional.one_hot(target.long().flatten(1), classes).permute(0, 2, 1).float()

    cross_entropy = -(one_hot * torch.log(merged.clamp_min(1e-7))).sum(dim=1).mean()
    intersection = (merged * one_hot).sum(dim=2)
    denominator = merged.sum(dim=2) + one_hot.sum(dim=2)
    dice = (2 * intersection + smooth) / (denominator + smooth)
    weights = labelled_mask.float()
    weights[:, 0] = 0.0  # background Dice adds little and swamps small organs
    dice_loss = 1 - (dice * weights).sum() / weights.sum().clamp_min(1)
    return cross_entropy + dice_weight * dice_loss
