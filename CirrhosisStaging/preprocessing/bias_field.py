"""Optional N4 bias-field correction, estimated on a shrunken copy for speed and applied at full size."""

from __future__ import annotations

import SimpleITK as sitk


def n4_correct(image: sitk.Image, shrink: int = 4, iterations: tuple[int, ...] = (50, 40, 30),
               mask: sitk.Image | None = None) -> sitk.Image:
    """Return `image` divided by its estimated smooth multiplicative bias field (same grid, float32)."""
    image = sitk.Cast(image, sitk.sitkFloat32)
    # N4 works on log intensities: shift so the minimum is positive.
    minimum = float(sitk.GetArrayViewFromImage(image).min())
    positive = image - minimum + 1.0 if minimum <= 0 else image
    if mask is None:
        mask = sitk.OtsuThreshold(positive, 0, 1, 200)
    factors = [shrink if n >= 4 * shrink else 1 for n in image.GetSize()]
    small_image = sitk.Shrink(positive, factors)
    small_mask = sitk.Shrink(mask, factors)
    corrector = sitk.N4BiasFieldCorrectionImageFilter()
    corrector.SetMaximumNumberOfIterations(list(iterations))
    corrector.Execute(small_image, small_mask)
    log_bias = corrector.GetLogBiasFieldAsImage(positive)
    corrected = positive / sitk.Exp(log_bias)
    if minimum <= 0:
        corrected = corrected + minimum - 1.0
    corrected = sitk.Cast(corrected, sitk.sitkFloat32)
    corrected.CopyInformation(image)
    return corrected
