"""What the scanner does to the ideal signal: thick-slice averaging, coil shading, gain and noise."""

from __future__ import annotations

import numpy as np


def average_sub_slices(volume: np.ndarray, sub_slices: int) -> np.ndarray:
    """(slices * sub, rows, columns) -> (slices, rows, columns): the slice profile as a box average."""
    n, rows, columns = volume.shape
    return volume.reshape(n // sub_slices, sub_slices, rows, columns).mean(axis=1, dtype=np.float32)


def bias_field(rng: np.random.Generator, shape: tuple[int, int, int], strength: float) -> np.ndarray:
    """Smooth multiplicative shading: exp of a random quadratic polynomial over the volume."""
    w, v, u = (np.linspace(-1.0, 1.0, n, dtype=np.float32) for n in shape)
    w, v, u = w[:, None, None], v[None, :, None], u[None, None, :]
    c = rng.normal(0.0, strength, 9).astype(np.float32)
    log_field = (c[0] * u + c[1] * v + c[2] * w + c[3] * u * u + c[4] * v * v + c[5] * w * w
                 + c[6] * u * v + c[7] * v * w + c[8] * u * w)
    return np.exp(log_field - log_field.mean()).astype(np.float32)


def rician_noise(rng: np.random.Generator, signal: np.ndarray, sigma: float) -> np.ndarray:
    """Magnitude of the signal plus complex Gaussian noise, as a magnitude image has."""
    real = signal + rng.normal(0.0, sigma, signal.shape).astype(np.float32)
    imaginary = rng.normal(0.0, sigma, signal.shape).astype(np.float32)
    return np.sqrt(real * real + imaginary * imaginary)


def degrade(rng: np.random.Generator, signal: np.ndarray, sequence: str, reference_signal: float) -> np.ndarray:
    """Shading, overall gain and noise. `reference_signal`: liver signal, sets the noise level via SNR."""
    strength = rng.uniform(0.08, 0.16) if sequence == "t1" else rng.uniform(0.1, 0.22)
    image = signal * bias_field(rng, signal.shape, strength)
    if sequence == "t2":  # each HASTE slice is its own shot: small slice-to-slice gain changes
        image *= rng.normal(1.0, 0.025, signal.shape[0]).astype(np.float32)[:, None, None]
    snr = rng.uniform(14.0, 40.0)
    image = rician_noise(rng, image, reference_signal / snr)
    gain = float(np.exp(rng.uniform(np.log(0.4), np.log(2.5))))  # scanners do not share a signal scale
    return (image * np.float32(gain)).astype(np.float32)
