# Per-kernel tuning records for the generators, so editing schedules/tuning_db.txt
# regenerates exactly the kernels whose records changed.
#
# Halide's add_halide_library cannot depend on extra files, so a generator reading the whole
# database would neither rerun when it changes nor (if made to depend on it) stay untouched
# for unrelated edits. Instead, at configure time each kernel gets a file holding only its
# own records, named by their hash: a change to those records changes the generator's
# command line (tuning_file=...), which Ninja/Make rerun; other kernels keep theirs.
# CMake re-runs configure when the database changes (CMAKE_CONFIGURE_DEPENDS).
#
#   micronet_read_tuning_db(<db file>)          once per directory
#   micronet_tuning_file(<kernel> <out var>)    the file to pass as tuning_file=

macro(micronet_read_tuning_db db)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${db})
  if(EXISTS ${db})
    file(STRINGS ${db} MICRONET_TUNING_LINES)
  else()
    set(MICRONET_TUNING_LINES "")
  endif()
endmacro()

function(micronet_tuning_file kernel out)
  set(records "")
  foreach(line IN LISTS MICRONET_TUNING_LINES)
    # `<target-family> <kernel> knob=value ...` (schedules/knobs.h); '#' lines are comments.
    if(line MATCHES "^[ \t]*[^# \t][^ \t]*[ \t]+${kernel}([ \t]|$)")
      string(APPEND records "${line}\n")
    endif()
  endforeach()
  string(MD5 hash "${records}")
  string(SUBSTRING ${hash} 0 12 hash)
  set(file ${CMAKE_CURRENT_BINARY_DIR}/tuning/${kernel}.${hash}.txt)
  if(NOT EXISTS ${file})
    file(WRITE ${file} "${records}")
  endif()
  set(${out} ${file} PARENT_SCOPE)
endfunction()
