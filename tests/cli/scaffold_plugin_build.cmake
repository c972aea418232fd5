# CTest script: `mlconv scaffold --cpp` for a real model's custom classes (with
# the output shape rules of a bindings file), built out of tree against the
# staged `plugin_api` install with find_package(mlconv), then loaded by
# `mlconv validate --plugin`: the classes are found (no E210), accept their
# layers (no E211) and the shapes reaching them (no E212), and fail only in
# the evaluate() the skeleton leaves to be written (E213).
# Arguments (-D): MLCONV, BUILD_DIR, SOURCE_DIR, WORK_DIR, CXX, MODEL, BINDINGS.
cmake_minimum_required(VERSION 3.20)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${output}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
run("scaffolding" ${MLCONV} scaffold --cpp ${WORK_DIR}/src --with-bindings ${BINDINGS} ${MODEL})
run("staging the install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix --component plugin_api)
run("configuring the plugin" ${CMAKE_COMMAND} -S ${WORK_DIR}/src -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_COMPILE_WARNING_AS_ERROR=ON)
run("building the plugin" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
file(GLOB plugin ${WORK_DIR}/build/*.so)
if(NOT plugin)
  message(FATAL_ERROR "the scaffolded project built no plugin in ${WORK_DIR}/build")
endif()
execute_process(COMMAND ${MLCONV} validate --plugin ${plugin} ${MODEL} RESULT_VARIABLE status OUTPUT_VARIABLE output
                ERROR_VARIABLE errors)
if(NOT status EQUAL 1 OR output MATCHES "E21[012]" OR NOT output MATCHES "error E213: [^\n]*evaluate is not written yet")
  message(FATAL_ERROR "unexpected validate --plugin result (${status}):\n${output}${errors}")
endif()
