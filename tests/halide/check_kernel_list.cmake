# Fails when generators/kernels.cmake differs from what the planner lists now.
execute_process(COMMAND ${LISTER} --cmake OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "micronet_list_kernels failed (${rc})")
endif()
file(READ ${OUT} now)
file(READ ${EXPECTED} committed)
if(NOT now STREQUAL committed)
  message(FATAL_ERROR "generators/kernels.cmake is stale: regenerate it with "
                      "`build/bin/micronet_list_kernels --cmake > generators/kernels.cmake`")
endif()
