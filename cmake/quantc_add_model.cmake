# quantc_add_model.cmake — quantc_add_model(): compiles a model with quantc
# at build time and links it into a target, together with the quantc runtime
# built by the project's own compiler.  Included by quantcConfig.cmake, which
# sets QUANTC_EXECUTABLE, QUANTC_INCLUDE_DIR and QUANTC_RUNTIME_SOURCE_DIR.
#
#   quantc_add_model(<target> MODEL <file.qg>
#                    [NAME <name>] [CALIB <file.npy>] [CONFIG <file.yaml>]
#                    [PRECISION int8|int16|f32]
#                    [TARGET <triple>] [MCPU <cpu>] [MATTR <features>]
#                    [OPTIONS <more quantc compile options>...])
#
# Writes ${CMAKE_CURRENT_BINARY_DIR}/quantc/<name>/<name>.o and <name>.h with
# `quantc compile`, again whenever the model, a weight file it reads, the
# calibration data, the configuration or quantc itself changes.  The object
# joins <target>'s sources, the header's folder its include directories
# (#include "<name>.h"), and the static library quantc_runtime (made once per
# project from the runtime's sources) its link libraries.
#
# NAME is the C prefix of the generated symbols (<name>_run, <NAME>_ARENA_SIZE);
# it defaults to the model file's name and must differ between the models of
# one folder.  TARGET, MCPU and MATTR default to the variables QUANTC_TARGET,
# QUANTC_MCPU and QUANTC_MATTR (a cross toolchain file can set them), and
# otherwise to quantc's own default, the host.  Relative paths are relative to
# the current source folder.  Call it in the folder that defines <target>.
# `man quantc` (section CMAKE) documents the same for users.
include_guard(GLOBAL)

# The runtime, compiled by the project's compiler: with a cross toolchain file
# it is built for the same machine as the rest of the firmware.
function(_quantc_runtime)
  if(TARGET quantc_runtime)
    return()
  endif()
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if(NOT "C" IN_LIST languages)
    message(FATAL_ERROR "quantc_add_model: the quantc runtime is C; enable C in project()")
  endif()
  file(GLOB sources "${QUANTC_RUNTIME_SOURCE_DIR}/*.c")
  add_library(quantc_runtime STATIC ${sources})
  target_include_directories(quantc_runtime PUBLIC "${QUANTC_INCLUDE_DIR}")
  set_target_properties(quantc_runtime PROPERTIES
    C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(quantc_runtime PRIVATE -ffreestanding)
  endif()
endfunction()

# The weight files a model reads: its npy("...") initializers, relative to the
# model's folder.  The model's own edits re-run CMake, so the list follows it.
function(_quantc_model_inputs model out)
  file(READ "${model}" text)
  string(REGEX REPLACE "#[^\n]*" "" text "${text}")
  string(REGEX MATCHALL "npy[ \t\r\n]*\\([ \t\r\n]*\"[^\"]*\"" calls "${text}")
  get_filename_component(dir "${model}" DIRECTORY)
  set(files "")
  foreach(call IN LISTS calls)
    string(REGEX REPLACE "^npy[ \t\r\n]*\\([ \t\r\n]*\"([^\"]*)\"$" "\\1" file "${call}")
    get_filename_component(file "${file}" ABSOLUTE BASE_DIR "${dir}")
    list(APPEND files "${file}")
  endforeach()
  list(REMOVE_DUPLICATES files)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${model}")
  set(${out} "${files}" PARENT_SCOPE)
endfunction()

function(quantc_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 qc ""
    "MODEL;NAME;CALIB;CONFIG;PRECISION;TARGET;MCPU;MATTR" "OPTIONS")
  if(qc_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "quantc_add_model: unexpected arguments: ${qc_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT QUANTC_EXECUTABLE)
    message(FATAL_ERROR "quantc_add_model: call find_package(quantc) in this folder or a parent")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "quantc_add_model: no target '${target}'")
  endif()
  if(NOT qc_MODEL)
    message(FATAL_ERROR "quantc_add_model(${target}): MODEL is required")
  endif()
  get_filename_component(model "${qc_MODEL}" ABSOLUTE)
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "quantc_add_model(${target}): no model file ${model}")
  endif()
  if(NOT qc_NAME)
    get_filename_component(qc_NAME "${model}" NAME_WE)
    string(MAKE_C_IDENTIFIER "${qc_NAME}" qc_NAME)
  endif()
  if(NOT qc_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "quantc_add_model(${target}): NAME '${qc_NAME}' is not a C identifier")
  endif()
  get_property(names DIRECTORY PROPERTY _QUANTC_MODEL_NAMES)
  if(qc_NAME IN_LIST names)
    message(FATAL_ERROR "quantc_add_model(${target}): a model named '${qc_NAME}' already "
      "exists in this folder; give each model its own NAME")
  endif()
  set_property(DIRECTORY APPEND PROPERTY _QUANTC_MODEL_NAMES ${qc_NAME})

  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/quantc/${qc_NAME}")
  set(obj "${out_dir}/${qc_NAME}.o")
  set(hdr "${out_dir}/${qc_NAME}.h")
  _quantc_model_inputs("${model}" deps)
  set(args compile "${model}" -o "${obj}" --name ${qc_NAME})
  foreach(file CALIB CONFIG)
    if(qc_${file})
      string(TOLOWER "--${file}" opt)
      get_filename_component(path "${qc_${file}}" ABSOLUTE)
      list(APPEND args ${opt} "${path}")
      list(APPEND deps "${path}")
    endif()
  endforeach()
  foreach(key TARGET MCPU MATTR)
    if(NOT qc_${key} AND QUANTC_${key})
      set(qc_${key} "${QUANTC_${key}}")
    endif()
  endforeach()
  if(CMAKE_CROSSCOMPILING AND NOT qc_TARGET)
    message(WARNING "quantc_add_model(${target}): cross-compiling, but no TARGET (or "
      "QUANTC_TARGET) is given: ${qc_NAME}.o will be built for the host")
  endif()
  foreach(key PRECISION TARGET MCPU MATTR)
    if(qc_${key})
      string(TOLOWER "--${key}" opt)
      list(APPEND args ${opt} "${qc_${key}}")
    endif()
  endforeach()
  list(APPEND args ${qc_OPTIONS})

  file(RELATIVE_PATH shown "${CMAKE_BINARY_DIR}" "${obj}")
  add_custom_command(OUTPUT "${obj}" "${hdr}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${out_dir}"
    COMMAND "${QUANTC_EXECUTABLE}" ${args}
    DEPENDS "${model}" ${deps} "${QUANTC_EXECUTABLE}"
    COMMENT "quantc: compiling ${qc_MODEL} to ${shown}"
    VERBATIM)
  set_source_files_properties("${obj}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  set_source_files_properties("${hdr}" PROPERTIES HEADER_FILE_ONLY TRUE GENERATED TRUE)
  target_sources(${target} PRIVATE "${obj}" "${hdr}")
  target_include_directories(${target} PUBLIC "${out_dir}")

  # Appended to the properties rather than through target_link_libraries, whose
  # keyword and plain forms cannot be mixed on one target: the project's own
  # calls may use either.  A library passes the runtime on to its users.
  _quantc_runtime()
  get_target_property(links ${target} LINK_LIBRARIES)
  if(NOT links OR NOT "quantc_runtime" IN_LIST links)
    set_property(TARGET ${target} APPEND PROPERTY LINK_LIBRARIES quantc_runtime)
    get_target_property(type ${target} TYPE)
    if(NOT type STREQUAL "EXECUTABLE")
      set_property(TARGET ${target} APPEND PROPERTY INTERFACE_LINK_LIBRARIES quantc_runtime)
    endif()
  endif()
endfunction()
