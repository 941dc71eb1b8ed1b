# ctest -P script: cmake/tuning_records.cmake gives each kernel a file with only its own
# records, whose path changes exactly when those records change (so only that kernel's
# generator command line changes and only it is regenerated). -DWORK=<scratch dir>
include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/tuning_records.cmake)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(CMAKE_CURRENT_BINARY_DIR ${WORK})

function(expect_equal got want what)
  if(NOT got STREQUAL want)
    message(FATAL_ERROR "${what}: got '${got}', want '${want}'")
  endif()
endfunction()

set(MICRONET_TUNING_LINES
  "# x86 gconv_b tile=9" "x86 gconv_a tile_vectors=4" "arm gconv_b oc_block=8" "x86 gconv_bb oc_block=2")
micronet_tuning_file(gconv_a a1)
micronet_tuning_file(gconv_b b1)
micronet_tuning_file(gconv_c c1)
file(READ ${a1} a)
file(READ ${b1} b)
file(READ ${c1} c)
expect_equal("${a}" "x86 gconv_a tile_vectors=4\n" "gconv_a's records")
# Not the comment, not gconv_bb (a prefix match), any target family.
expect_equal("${b}" "arm gconv_b oc_block=8\n" "gconv_b's records")
expect_equal("${c}" "" "gconv_c's records")

# Appending a better record for gconv_a: its file (the command line) changes, no other's.
list(APPEND MICRONET_TUNING_LINES "x86 gconv_a tile_vectors=2 oc_block=4")
micronet_tuning_file(gconv_a a2)
micronet_tuning_file(gconv_b b2)
micronet_tuning_file(gconv_c c2)
if(a1 STREQUAL a2)
  message(FATAL_ERROR "gconv_a's tuning file did not change with its records")
endif()
expect_equal("${b2}" "${b1}" "gconv_b's tuning file after an edit of gconv_a")
expect_equal("${c2}" "${c1}" "gconv_c's tuning file after an edit of gconv_a")
file(READ ${a2} a)
# Record order is kept: the last record wins (schedules/knobs.h).
expect_equal("${a}" "x86 gconv_a tile_vectors=4\nx86 gconv_a tile_vectors=2 oc_block=4\n" "gconv_a's records")
message(STATUS "per-kernel tuning files: ok")
