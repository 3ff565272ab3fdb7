"""Figures (matplotlib, Agg backend): previews for the README and, later, the report."""
