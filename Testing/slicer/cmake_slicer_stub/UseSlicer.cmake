# Stand-ins for the two Slicer macros the module's CMakeLists.txt calls (see SlicerConfig.cmake).
macro(slicerMacroBuildScriptedModule)
  cmake_parse_arguments(MY_SLICER "WITH_GENERIC_TESTS;VERBOSE" "NAME" "SCRIPTS;RESOURCES" ${ARGN})
  if(MY_SLICER_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "Unknown keywords given to slicerMacroBuildScriptedModule(): ${MY_SLICER_UNPARSED_ARGUMENTS}")
  endif()
  foreach(file IN LISTS MY_SLICER_SCRIPTS MY_SLICER_RESOURCES)
    if(NOT EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${file}")
      message(FATAL_ERROR "slicerMacroBuildScriptedModule given nonexistent file '${file}'")
    endif()
    get_filename_component(folder "${file}" DIRECTORY)
    configure_file("${CMAKE_CURRENT_SOURCE_DIR}/${file}" "${CMAKE_BINARY_DIR}/${Slicer_QTSCRIPTEDMODULES_LIB_DIR}/${file}"
      COPYONLY)
    install(FILES "${CMAKE_CURRENT_SOURCE_DIR}/${file}"
      DESTINATION "${Slicer_INSTALL_QTSCRIPTEDMODULES_LIB_DIR}/${folder}" COMPONENT RuntimeLibraries)
  endforeach()
endmacro()

function(slicer_add_python_unittest)
endfunction()
