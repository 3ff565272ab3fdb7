"""Classification metrics and evaluation reports for the staging model."""
