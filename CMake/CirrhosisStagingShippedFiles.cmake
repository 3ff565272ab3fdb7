# What the extension ships beside its module in qt-scripted-modules/, in the layout of a source checkout, so that
# every path resolves the same way in both: the engine package CirrhosisStaging/, and Resources/ (the current
# weights and their manifest, sample data, terminology, licence). Files go to the build tree (for ctest and for
# running Slicer from the build) and to the install tree (the package the Extensions Manager installs).

set(CIRRHOSIS_STAGING_BUILD_DIR "${CMAKE_BINARY_DIR}/${Slicer_QTSCRIPTEDMODULES_LIB_DIR}")
set(CIRRHOSIS_STAGING_INSTALL_DIR "${Slicer_INSTALL_QTSCRIPTEDMODULES_LIB_DIR}")

# Ship FILES (absolute paths) as RELATIVE_DIR/<name> in both trees.
function(cirrhosis_staging_ship RELATIVE_DIR)
  foreach(file IN LISTS ARGN)
    get_filename_component(name "${file}" NAME)
    configure_file("${file}" "${CIRRHOSIS_STAGING_BUILD_DIR}/${RELATIVE_DIR}/${name}" COPYONLY)
    install(FILES "${file}" DESTINATION "${CIRRHOSIS_STAGING_INSTALL_DIR}/${RELATIVE_DIR}"
      COMPONENT RuntimeLibraries)
  endforeach()
endfunction()

#-----------------------------------------------------------------------------
# The engine: every Python file of the package (a file added to the engine ships without editing this list).
file(GLOB_RECURSE engine_files CONFIGURE_DEPENDS RELATIVE "${CMAKE_SOURCE_DIR}"
  "${CMAKE_SOURCE_DIR}/CirrhosisStaging/*.py")
foreach(file IN LISTS engine_files)
  if(NOT file MATCHES "__pycache__")
    get_filename_component(folder "${file}" DIRECTORY)
    cirrhosis_staging_ship("${folder}" "${CMAKE_SOURCE_DIR}/${file}")
  endif()
endforeach()

#-----------------------------------------------------------------------------
# Weights: only the models the engine uses by default, as CirrhosisStaging.models.manifest chooses them
# (Manifest.find(task, sequence=...) without a name: for each task and each sequence, the newest version among the
# task's models that list the sequence; T1W and T2W may each have their own). Superseded versions stay in the
# repository; the shipped manifest lists only what is shipped, so every entry in it resolves.
set(manifest_file "${CMAKE_SOURCE_DIR}/Resources/Models/manifest.json")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest_file}")
file(READ "${manifest_file}" manifest_json)
string(JSON model_count LENGTH "${manifest_json}" models)
set(slots)   # task_sequence pairs, each with its newest model
if(model_count GREATER 0)
  math(EXPR last_model "${model_count} - 1")
  foreach(index RANGE ${last_model})
    string(JSON task GET "${manifest_json}" models ${index} task)
    string(JSON version GET "${manifest_json}" models ${index} version)
    string(JSON sequence_count LENGTH "${manifest_json}" models ${index} sequences)
    if(NOT sequence_count GREATER 0)
      message(FATAL_ERROR "${manifest_file}: model entry ${index} lists no sequence")
    endif()
    math(EXPR last_sequence "${sequence_count} - 1")
    foreach(sequence_index RANGE ${last_sequence})
      string(JSON sequence GET "${manifest_json}" models ${index} sequences ${sequence_index})
      set(slot "${task}_${sequence}")
      if(NOT slot IN_LIST slots OR version VERSION_GREATER "${newest_version_${slot}}")
        list(APPEND slots "${slot}")
        set(newest_version_${slot} "${version}")
        set(newest_index_${slot} ${index})
      endif()
    endforeach()
  endforeach()
endif()
list(REMOVE_DUPLICATES slots)
set(shipped_indices)
foreach(slot IN LISTS slots)
  list(APPEND shipped_indices ${newest_index_${slot}})
endforeach()
list(REMOVE_DUPLICATES shipped_indices)
list(SORT shipped_indices COMPARE NATURAL)
if(NOT shipped_indices)
  message(FATAL_ERROR "${manifest_file} lists no model: nothing to ship")
endif()

string(JSON format_version ERROR_VARIABLE no_format_version GET "${manifest_json}" format_version)
if(no_format_version)
  set(format_version 1)
endif()
set(shipped_manifest "{\"format_version\": ${format_version}, \"models\": []}")
set(shipped_count 0)
foreach(index IN LISTS shipped_indices)
  string(JSON entry GET "${manifest_json}" models ${index})
  string(JSON shipped_manifest SET "${shipped_manifest}" models ${shipped_count} "${entry}")
  math(EXPR shipped_count "${shipped_count} + 1")
  string(JSON weights_file GET "${entry}" file)
  string(JSON model_name GET "${entry}" name)
  string(JSON model_task GET "${entry}" task)
  string(JSON model_version GET "${entry}" version)
  message(STATUS "CirrhosisStaging: shipping ${model_task} model ${model_name} ${model_version} (${weights_file})")
  get_filename_component(weights_folder "Resources/Models/${weights_file}" DIRECTORY)
  cirrhosis_staging_ship("${weights_folder}" "${CMAKE_SOURCE_DIR}/Resources/Models/${weights_file}")
endforeach()
set(shipped_manifest_file "${CMAKE_BINARY_DIR}/ShippedModels/manifest.json")
file(WRITE "${shipped_manifest_file}" "${shipped_manifest}\n")
cirrhosis_staging_ship("Resources/Models" "${shipped_manifest_file}")

#-----------------------------------------------------------------------------
# Sample data (the Sample Data module's phantom case, with its sha256 list), terminology, licences.
file(GLOB sample_files CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/Resources/SampleData/*")
cirrhosis_staging_ship("Resources/SampleData" ${sample_files})
cirrhosis_staging_ship("Resources/Terminology" "${CMAKE_SOURCE_DIR}/Resources/Terminology/CirrhosisStaging.term.json")
cirrhosis_staging_ship("Resources" "${CMAKE_SOURCE_DIR}/LICENSE.txt")
