# Runs `micronet-tune --target arm-64-linux --runner 'qemu-aarch64-static ... {}'` on one
# small kernel with a budget of 2 and checks the database: 3 records (default + 2), all ok.
file(REMOVE ${DB})
execute_process(
  COMMAND ${TUNER} --target arm-64-linux --arch m0 --kernel gconv_c64x32_g4_sm2x1q8 --budget 2
          --no-baselines --repeats 1 --jobs 1 --db ${DB} --measure-exe ${MEASURE}
          --runner "qemu-aarch64-static -L /usr/aarch64-linux-gnu {}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "micronet-tune through the runner failed (${rc}):\n${out}\n${err}")
endif()
file(STRINGS ${DB} lines)
list(LENGTH lines n)
if(NOT n EQUAL 3)
  message(FATAL_ERROR "expected 3 records in ${DB}, found ${n}:\n${out}\n${err}")
endif()
foreach(line IN LISTS lines)
  if(NOT line MATCHES "\"status\":\"ok\"" OR NOT line MATCHES "\"target\":\"arm-64-linux")
    message(FATAL_ERROR "a record is not an ok arm-64-linux measurement: ${line}")
  endif()
endforeach()
message(STATUS "3 ok arm-64-linux records measured under qemu")
