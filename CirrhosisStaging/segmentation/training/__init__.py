"""Training the segmentation network (`cirrhosis-staging train-seg`)."""
