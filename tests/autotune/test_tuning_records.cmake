# cmake -DMODULE=cmake/tuning_records.cmake -P test_tuning_records.cmake
# The build's reading of autoscheduler records: which family a library's targets belong
# to, and which autoscheduler (if any) the last record of (family, kernel) names.
include(${MODULE})

function(expect what actual expected)
  if(NOT "${actual}" STREQUAL "${expected}")
    message(FATAL_ERROR "${what}: got '${actual}', expected '${expected}'")
  endif()
endfunction()

micronet_target_family("x86-64-linux-avx512_skylake;x86-64-linux-avx2-fma;x86-64-linux-sse41" f)
expect("x86 multi-target" "${f}" x86)
micronet_target_family(arm-64-android f)
expect("android" "${f}" arm)
micronet_target_family(x86-64-linux-opencl f)
expect("opencl" "${f}" gpu)
micronet_target_family(x86-64-linux-cuda-cuda_capability_61 f)
expect("cuda with features" "${f}" gpu)

set(MICRONET_TUNING_LINES
  "# x86 k1 autoscheduler=Mullapudi2016"
  "x86 k1 autoscheduler=Adams2019"
  "gpu k1 autoscheduler=Li2018"
  "x86 k2 autoscheduler=Mullapudi2016"
  "x86 k2 tile_vectors=2"
  "x86 k30 autoscheduler=Adams2019"
  "x86 k3 tile_vectors=4")
micronet_tuning_autoscheduler(k1 x86 a)
expect("x86 k1 (a comment is no record)" "${a}" Adams2019)
micronet_tuning_autoscheduler(k1 gpu a)
expect("gpu k1" "${a}" Li2018)
micronet_tuning_autoscheduler(k1 arm a)
expect("arm k1 has no record" "${a}" "")
micronet_tuning_autoscheduler(k2 x86 a)
expect("x86 k2: the later knob record wins" "${a}" "")
micronet_tuning_autoscheduler(k3 x86 a)
expect("x86 k3 is not k30" "${a}" "")
