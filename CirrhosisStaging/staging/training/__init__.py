"""Training and evaluating the staging network (`train-stage`, `evaluate`)."""
