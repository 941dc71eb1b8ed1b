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
#   micronet_target_family(<targets> <out var>) x86 | arm | gpu of a list of Halide targets
#   micronet_tuning_autoscheduler(<kernel> <family> <out var>)
#                                               the autoscheduler the record names, or ""
#
# A record `<family> <kernel> autoscheduler=Adams2019` (written by `micronet tune --apply`
# when Halide's autoscheduler beat every searched schedule) makes the build compile that
# kernel with the autoscheduler (add_halide_library AUTOSCHEDULER), which sets the
# generator's auto_schedule=true: the generator then skips its manual schedule and sets
# estimates instead. load_knobs skips the non-integer value, so no schedule sees it.

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

# The family whose records apply to a library built for `targets` (a list, all of one
# family): schedules/knobs.cpp target_family() for Halide target strings.
function(micronet_target_family targets out)
  set(result "")
  foreach(t IN LISTS targets)
    if(t MATCHES "-(cuda|opencl|metal|d3d12compute|openglcompute|vulkan)(-|$)")
      set(f gpu)
    elseif(t MATCHES "^arm-")
      set(f arm)
    elseif(t MATCHES "^x86-")
      set(f x86)
    elseif(t MATCHES "^host(-|$)")
      if(CMAKE_HOST_SYSTEM_PROCESSOR MATCHES "aarch64|arm64|^arm")
        set(f arm)
      else()
        set(f x86)
      endif()
    else()
      message(FATAL_ERROR "micronet_target_family: no target family (x86, arm, gpu) for the "
                          "Halide target '${t}'")
    endif()
    if(NOT result STREQUAL "" AND NOT result STREQUAL f)
      message(FATAL_ERROR "micronet_target_family: '${targets}' mixes the families ${result} "
                          "and ${f}; one library takes the records of one family")
    endif()
    set(result ${f})
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# The autoscheduler named by the last record of (family, kernel), as load_knobs lets the
# last record win: a later knob record without autoscheduler= means the manual schedule.
function(micronet_tuning_autoscheduler kernel family out)
  set(result "")
  foreach(line IN LISTS MICRONET_TUNING_LINES)
    if(line MATCHES "^[ \t]*${family}[ \t]+${kernel}([ \t]|$)")
      set(result "")
      if(line MATCHES "[ \t]autoscheduler=([A-Za-z0-9_]+)")
        set(result ${CMAKE_MATCH_1})
      endif()
    endif()
  endforeach()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()
