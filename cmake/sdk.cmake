# The runtime as a library for other projects: one shared library (`libmicronet.so`) with
# the AOT kernels, the Halide runtime, the planner and weights I/O -- no LibTorch, no LLVM,
# no OpenCV -- plus its headers and a CMake package, so that after
#   cmake --install build --component sdk --prefix /opt/micronet
# another project does
#   find_package(micronet_halide REQUIRED)      # -DCMAKE_PREFIX_PATH=/opt/micronet
#   target_link_libraries(app PRIVATE micronet::runtime)
# (examples/embed is such a project; tests/sdk builds it against an install).
include(CMakePackageConfigHelpers)

add_library(micronet_sdk SHARED ${PROJECT_SOURCE_DIR}/runtime/sdk_version.cpp)
# Whole archives: every public function of the runtime, planner and formats is in the
# library, not only what the version file references. The trailing micronet_runtime brings
# its dependencies (the kernels through the registry, the Halide runtime, threads, dl).
target_link_libraries(micronet_sdk PRIVATE
  -Wl,--whole-archive $<TARGET_FILE:micronet_runtime> $<TARGET_FILE:micronet_models>
  $<TARGET_FILE:micronet_formats> $<TARGET_FILE:micronet_support> -Wl,--no-whole-archive micronet_runtime)
target_include_directories(micronet_sdk INTERFACE $<INSTALL_INTERFACE:include/micronet>)
target_compile_definitions(micronet_sdk PRIVATE MICRONET_SDK_VERSION="${PROJECT_VERSION}")
set_target_properties(micronet_sdk PROPERTIES OUTPUT_NAME micronet EXPORT_NAME runtime
                                              LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
if(PROJECT_VERSION)
  set_target_properties(micronet_sdk PROPERTIES VERSION ${PROJECT_VERSION})
endif()

install(TARGETS micronet_sdk EXPORT micronet_sdk_targets
        LIBRARY DESTINATION lib COMPONENT sdk)
install(EXPORT micronet_sdk_targets NAMESPACE micronet:: FILE micronet_halide-targets.cmake
        DESTINATION lib/cmake/micronet_halide COMPONENT sdk)
# The headers keep their folders, so code includes them as the project does
# ("runtime/halide_model.h").
foreach(dir formats support models runtime)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION include/micronet/${dir} COMPONENT sdk
          FILES_MATCHING PATTERN "*.h"
          # Not in the library: .pth import (zip, unpickler), IDX datasets, shipped weights.
          PATTERN "pretrained" EXCLUDE PATTERN "configs" EXCLUDE PATTERN "zip_reader.h" EXCLUDE
          PATTERN "restricted_unpickler.h" EXCLUDE PATTERN "idx_reader.h" EXCLUDE
          PATTERN "checkpoint_import.h" EXCLUDE
          # The command-line executables' CLI11 glue: not the runtime's, and it needs CLI11.
          PATTERN "cli_usage.h" EXCLUDE)
endforeach()
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/micronet_halide-config.cmake
  "include(\${CMAKE_CURRENT_LIST_DIR}/micronet_halide-targets.cmake)\n")
set(_sdk_version_file ${CMAKE_CURRENT_BINARY_DIR}/micronet_halide-config-version.cmake)
if(PROJECT_VERSION)
  write_basic_package_version_file(${_sdk_version_file} VERSION ${PROJECT_VERSION}
                                   COMPATIBILITY SameMinorVersion)
else()
  file(WRITE ${_sdk_version_file} "set(PACKAGE_VERSION_COMPATIBLE TRUE)\n")
endif()
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/micronet_halide-config.cmake ${_sdk_version_file}
        DESTINATION lib/cmake/micronet_halide COMPONENT sdk)
