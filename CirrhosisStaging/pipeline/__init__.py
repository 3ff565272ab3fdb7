"""The whole job for one case (segment -> stage -> attention -> biomarkers -> outputs) and for many."""
