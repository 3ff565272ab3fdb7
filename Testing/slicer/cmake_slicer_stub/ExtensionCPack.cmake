# Stand-in for Slicer's SlicerExtensionCPack.cmake: only its sanity checks (packaging itself is not tested).
foreach(var EXTENSION_README_FILE EXTENSION_LICENSE_FILE)
  if(NOT EXISTS "${${var}}")
    message(FATAL_ERROR "error: ${var} points to an inexistent file: ${${var}}")
  endif()
endforeach()
