"""Pieces every training loop shares: learning-rate schedule, checkpoints, torchrun support."""
