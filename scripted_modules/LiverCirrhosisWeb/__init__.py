"""Browser reader-study app on trame-slicer: Slicer's MRML, views and segment editor in a web page, the
CirrhosisStaging engine behind it (through LiverCirrhosisLib, the same Qt-free logic as the Slicer module).

Not part of the engine (the engine never imports trame); `cirrhosis-staging web` loads it on demand.
"""
