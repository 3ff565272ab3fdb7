"""Liver and spleen segmentation: network, inference on the input's grid, post-processing, training."""
