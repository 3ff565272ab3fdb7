"""Simulated cirrhotic change applied to real scans with organ labels (`cirrhosis-staging simulate`)."""

from .cirrhosis import SimulatedCase, simulate_case

__all__ = ["SimulatedCase", "simulate_case"]
