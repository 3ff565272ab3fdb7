# Stand-in for Slicer's extension config and CPack files: packaging is not part of the layout test.
