# cmake -DBUILD=.. -DSOURCE=.. -DWORK=.. -DWEIGHTS=.. [-DEXAMPLE_CXX_FLAGS=..] [-DEXAMPLE_LINK_FLAGS=..]
#       -P check_embed.cmake
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})
run("install" ${CMAKE_COMMAND} --install ${BUILD} --component sdk --prefix ${WORK}/prefix)
run("configure examples/embed" ${CMAKE_COMMAND} -S ${SOURCE}/examples/embed -B ${WORK}/build
    -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_CXX_FLAGS=${EXAMPLE_CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${EXAMPLE_LINK_FLAGS}")
run("build examples/embed" ${CMAKE_COMMAND} --build ${WORK}/build)

# The library a deployment ships links neither LibTorch, OpenCV nor LLVM.
file(GLOB lib ${WORK}/prefix/lib/libmicronet.so*)
list(GET lib 0 lib)
run("readelf" readelf -d ${lib})
if(last_output MATCHES "torch|opencv|LLVM|Halide\\.so")
  message(FATAL_ERROR "${lib} needs a heavy library:\n${last_output}")
endif()

find_program(embed_exe embed PATHS ${WORK}/build NO_DEFAULT_PATH REQUIRED)
run("the embedded model" ${embed_exe} ${WEIGHTS})
message(STATUS "${last_output}")
if(NOT last_output MATCHES "^m0 \\(64x64\\): 10 logits, top class [0-9] \\([^)]+\\), logit -?[0-9]")
  message(FATAL_ERROR "unexpected output: ${last_output}")
endif()
