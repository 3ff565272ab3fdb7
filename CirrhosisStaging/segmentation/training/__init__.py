"""Training the segmentation network (`cirrhosis-staging train-seg`)."""

# Named here, not in augmentation.py, so the command line can offer them without importing MONAI.
SHAPE_AUGMENTATIONS = ("affine", "deform")
