# CTest script: stages `cmake --install --component plugin_api` of the build,
# builds plugins/swish as a standalone project against it with
# find_package(mlconv), and runs the Swish test cases on the library it made.
# Arguments (-D): BUILD_DIR, SOURCE_DIR, WORK_DIR, CXX, TESTS (the executor test binary).
cmake_minimum_required(VERSION 3.20)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE output)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${output}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
run("staging the install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix --component plugin_api)
run("configuring the plugin" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/plugins/swish -B ${WORK_DIR}/build
    -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_CXX_COMPILER=${CXX})
run("building the plugin" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
set(plugin ${WORK_DIR}/build/libmlconv_swish.so)
if(NOT EXISTS ${plugin})
  message(FATAL_ERROR "the out-of-tree build made no ${plugin}")
endif()
run("the Swish tests on the out-of-tree plugin"
    ${CMAKE_COMMAND} -E env MLCONV_TEST_SWISH_PLUGIN=${plugin} ${TESTS} "--test-case=plugins: Swish*")
