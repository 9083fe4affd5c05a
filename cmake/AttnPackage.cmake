# Installs attn as a library for other MLIR compilers: headers (with the
# tablegen'd .inc files they include), the static libraries, the tools, the
# mlir-opt plugin, and the AttnCompiler CMake package.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ATTN_EXPORTED_LIBS AttnDialect AttnTargetInfo AttnTransforms AttnToCPU AttnToGPU)

# Usage requirements of the exported libraries. In the tree everything sees
# the global include directories; outside it these are all a consumer gets.
foreach(lib ${ATTN_EXPORTED_LIBS})
  target_include_directories(${lib} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${lib} PUBLIC cxx_std_17)
endforeach()

install(TARGETS ${ATTN_EXPORTED_LIBS}
  EXPORT AttnCompilerTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# The public headers of those libraries, and the generated ones they include.
install(DIRECTORY
    ${PROJECT_SOURCE_DIR}/include/attn/Dialect
    ${PROJECT_SOURCE_DIR}/include/attn/TargetInfo
    ${PROJECT_SOURCE_DIR}/include/attn/Transforms
    ${PROJECT_SOURCE_DIR}/include/attn/Conversion
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/attn
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(FILES ${PROJECT_SOURCE_DIR}/include/attn/InitAttn.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/attn)
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/attn
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h.inc" PATTERN "CMakeFiles" EXCLUDE)

# The tools and the plugin keep the path to the shared libMLIR they link.
set_target_properties(attn-opt attn-run AttnPlugin PROPERTIES
  INSTALL_RPATH_USE_LINK_PATH ON)
install(TARGETS attn-opt attn-run attn-gpu-compile RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS AttnPlugin LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

set(ATTN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/AttnCompiler)
set(ATTN_MLIR_DIR ${MLIR_DIR})
install(EXPORT AttnCompilerTargets
  NAMESPACE AttnCompiler::
  DESTINATION ${ATTN_CMAKE_DIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/AttnCompilerConfig.cmake.in
  ${PROJECT_BINARY_DIR}/lib/cmake/AttnCompiler/AttnCompilerConfig.cmake
  INSTALL_DESTINATION ${ATTN_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_BINDIR)
# 0.x: a new minor version may break the API.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/lib/cmake/AttnCompiler/AttnCompilerConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/lib/cmake/AttnCompiler/AttnCompilerConfig.cmake
    ${PROJECT_BINARY_DIR}/lib/cmake/AttnCompiler/AttnCompilerConfigVersion.cmake
  DESTINATION ${ATTN_CMAKE_DIR})
