# CTest script: `cmake --install` of the whole build into a fresh prefix puts
# every file where users and tools look for it, and the installed binary runs
# (also with an installed plugin).
# Arguments (-D): BUILD_DIR, PREFIX, VERSION, BINDIR, LIBDIR, INCLUDEDIR, DATADIR, MANDIR, MODEL.
cmake_minimum_required(VERSION 3.20)

file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${status}):\n${output}")
endif()

set(expected
  ${BINDIR}/mlconv
  ${INCLUDEDIR}/mlconv/custom_layer.h
  ${INCLUDEDIR}/mlconv/custom_layer.hpp
  ${LIBDIR}/cmake/mlconv/mlconvConfig.cmake
  ${LIBDIR}/cmake/mlconv/mlconvConfigVersion.cmake
  ${LIBDIR}/cmake/mlconv/mlconvTargets.cmake
  ${LIBDIR}/mlconv/plugins/libmlconv_swish.so
  ${LIBDIR}/mlconv/plugins/libmlconv_topk.so
  ${DATADIR}/bash-completion/completions/mlconv
  ${DATADIR}/zsh/site-functions/_mlconv
  ${MANDIR}/man1/mlconv.1)
foreach(file IN LISTS expected)
  if(NOT EXISTS ${PREFIX}/${file})
    message(FATAL_ERROR "cmake --install put no ${file} in ${PREFIX}")
  endif()
endforeach()
# Runs, so it is executable and finds its shared libraries outside the build tree.
execute_process(COMMAND ${PREFIX}/${BINDIR}/mlconv --version RESULT_VARIABLE status OUTPUT_VARIABLE output
                ERROR_VARIABLE errors)
if(NOT status EQUAL 0 OR NOT output STREQUAL "mlconv ${VERSION}\n")
  message(FATAL_ERROR "the installed mlconv --version said (${status}): '${output}${errors}'")
endif()

# The installed example plugin, found through MLCONV_PLUGIN_PATH, implements the model's custom layer.
execute_process(COMMAND ${CMAKE_COMMAND} -E env MLCONV_PLUGIN_PATH=${PREFIX}/${LIBDIR}/mlconv/plugins NO_COLOR=1
                        ${PREFIX}/${BINDIR}/mlconv validate ${MODEL}
                RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE errors)
if(NOT status EQUAL 0 OR NOT output MATCHES ": 0 errors, 0 warnings")
  message(FATAL_ERROR "the installed mlconv with the installed plugins failed (${status}):\n${output}${errors}")
endif()
file(REMOVE_RECURSE ${PREFIX})
