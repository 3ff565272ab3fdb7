"""CirrhosisStaging engine: liver MRI segmentation, cirrhosis staging and reports.

Plain Python: no Slicer, Qt or trame imports anywhere in this package, so the same engine
runs headless, inside Slicer (through its scripted module's Lib) and behind the web viewer.
"""

__version__ = "0.1.0"
