# Stand-in for Slicer's extension config file: not part of the layout test.
