# `cmake --install` puts the device side where apps find it: find_package(edgeformer) or pkg-config edgeformer.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(edgeformer_kernels PROPERTIES EXPORT_NAME kernels)
set_target_properties(edgeformer_schema PROPERTIES EXPORT_NAME schema)
install(TARGETS edgeformer_runtime edgeformer_kernels edgeformer_schema EXPORT edgeformerTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS edgeformer_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET edgeformer-convert)
  install(TARGETS edgeformer-convert RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(FILES runtime/include/edgeformer/edgeformer.h runtime/include/edgeformer/edgeformer.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/edgeformer)

set(EDGEFORMER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/edgeformer)
install(EXPORT edgeformerTargets NAMESPACE edgeformer:: DESTINATION ${EDGEFORMER_CMAKE_DIR})
configure_package_config_file(cmake/edgeformerConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/edgeformerConfig.cmake
  INSTALL_DESTINATION ${EDGEFORMER_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/edgeformerConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/edgeformerConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/edgeformerConfigVersion.cmake
  DESTINATION ${EDGEFORMER_CMAKE_DIR})

configure_file(cmake/edgeformer.pc.in ${CMAKE_CURRENT_BINARY_DIR}/edgeformer.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/edgeformer.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
