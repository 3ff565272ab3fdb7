# A stand-in for Slicer's build tree, for Testing/slicer/test_install_tree.py: it defines only what the
# extension's CMake files use, and lays files out as Slicer's slicerMacroBuildScriptedModule does (scripts and
# resources keep their paths relative to the module folder, under qt-scripted-modules/ in the build tree and
# in the install tree; a listed file that does not exist is an error).
set(Slicer_VERSION_MAJOR 5)
if(NOT DEFINED STUB_SLICER_VERSION_MINOR)
  set(STUB_SLICER_VERSION_MINOR 10)
endif()
set(Slicer_VERSION_MINOR ${STUB_SLICER_VERSION_MINOR})
set(Slicer_QTSCRIPTEDMODULES_LIB_DIR "lib/Slicer-5.${Slicer_VERSION_MINOR}/qt-scripted-modules")
set(Slicer_INSTALL_QTSCRIPTEDMODULES_LIB_DIR "${Slicer_QTSCRIPTEDMODULES_LIB_DIR}")
set(Slicer_USE_FILE "${CMAKE_CURRENT_LIST_DIR}/UseSlicer.cmake")
set(Slicer_EXTENSION_GENERATE_CONFIG "${CMAKE_CURRENT_LIST_DIR}/Nothing.cmake")
set(Slicer_EXTENSION_CPACK "${CMAKE_CURRENT_LIST_DIR}/ExtensionCPack.cmake")
set(Slicer_FOUND TRUE)
