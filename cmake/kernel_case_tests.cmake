# Per-op-family tests of the kernels of a target against the LibTorch reference, for targets
# whose build has no LibTorch (aarch64 under qemu) or whose kernels run elsewhere (OpenCL):
# the host build's `micronet cases` writes reference cases of every kernel of M0..M3 (setup
# fixture), then the target's `micronet check` replays them, one test per op family plus
# one for the four whole models (formats/kernel_cases.h, tools/cmd_check.cpp).
#
#   micronet_kernel_case_tests(<prefix>
#     CASES_WRITER <host micronet with LibTorch>
#     CHECKER <command prefix running the target's micronet> ...
#     [CHECK_FLAGS <extra `check` flags> ...] [LABELS <ctest labels> ...])
#
# The four models at 224x224 (the tiles and specializations the schedules pick for real
# layer sizes) and three at odd sizes with batch 2 (tails of every vector loop, odd strided
# outputs, 2x2 last stages). Together they use every compiled kernel but the 10-class
# Fashion-MNIST head (covered by the M0 end-to-end tests). Measured on the 2-core dev
# machine: all aarch64 tests ~25 s under qemu, all OpenCL tests ~2 min on PoCL (cold cache).
set(MICRONET_CASE_MODELS "m0 224 224 1" "m1 224 224 1" "m2 224 224 1" "m3 224 224 1"
    "m0 61 47 2" "m1 97 131 2" "m3 47 61 2")  # arch height width batch

function(micronet_kernel_case_tests prefix)
  cmake_parse_arguments(PARSE_ARGV 1 K "" "CASES_WRITER" "CHECKER;CHECK_FLAGS;LABELS")
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/${prefix}_cases)
  file(MAKE_DIRECTORY ${dir})
  set(files "")
  foreach(model IN LISTS MICRONET_CASE_MODELS)
    separate_arguments(m UNIX_COMMAND "${model}")
    list(GET m 0 arch)
    list(GET m 1 h)
    list(GET m 2 w)
    list(GET m 3 n)
    set(file ${dir}/${arch}_${h}x${w}_n${n}.safetensors)
    set(write ${prefix}_write_cases_${arch}_${h}x${w})
    add_test(NAME ${write}
      COMMAND ${K_CASES_WRITER} cases --arch ${arch} --height ${h} --width ${w} --batch ${n}
              --seed 1 --out ${file})
    set_tests_properties(${write} PROPERTIES
      FIXTURES_SETUP ${prefix}_cases LABELS "${K_LABELS}" TIMEOUT 300)
    list(APPEND files ${file})
  endforeach()
  foreach(family stem dwsep gconv head)
    add_test(NAME ${prefix}_kernels_${family}_vs_reference
      COMMAND ${K_CHECKER} check ${K_CHECK_FLAGS} --family ${family} --no-model ${files})
  endforeach()
  add_test(NAME ${prefix}_models_vs_reference
    COMMAND ${K_CHECKER} check ${K_CHECK_FLAGS} --family none ${files})
  foreach(t kernels_stem kernels_dwsep kernels_gconv kernels_head models)
    set(name ${prefix}_${t}_vs_reference)
    set_tests_properties(${name} PROPERTIES
      FIXTURES_REQUIRED ${prefix}_cases LABELS "${K_LABELS}" TIMEOUT 900)
  endforeach()
endfunction()
