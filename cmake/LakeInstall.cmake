# Installing lake-orm and using it from another project: headers, the
# libraries, the lakeorm CLI, a CMake package (lakeorm::<component>) and a
# pkg-config file, plus lake/version.hpp generated from the project's
# version.
#
#   cmake --install build/default --prefix /opt/lakeorm     (tools/dev install PREFIX)
#
# The libraries are static by default and shared with
# -DBUILD_SHARED_LIBS=ON (then every internal library is position-
# independent and linked into the shared ones that need it).
#
# ABI policy: before 1.0 every minor version may break the ABI, so a shared
# library's SONAME carries major.minor (liblake_client.so.0.1); from 1.0
# on, the major version alone. The CMake package accepts the same minor
# version (SameMinorVersion) for the same reason.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

configure_file(${PROJECT_SOURCE_DIR}/cmake/version.hpp.in ${PROJECT_BINARY_DIR}/include/lake/version.hpp @ONLY)
target_include_directories(lake_core PUBLIC $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>)

# What users link (lakeorm::<name>), and what a static link of those needs
# besides (exported under internal_* names, never linked by users).
set(lake_public_targets
  lake_core core lake_delta delta lake_migrate migrate lake_client client lake_duckdb duckdb
  lake_s3 s3 lake_gcs gcs lake_spark spark lake_config config)
set(lake_internal_targets
  lake_formats formats lake_sql sql lake_iceberg iceberg lake_object_store object_store
  lake_spark_connect spark_connect lake_spark_connect_protocol spark_connect_protocol
  lake_compile_options compile_options)

set(lake_installed "")
set(LAKE_COMPONENTS_TEXT "")
set(LAKE_PC_LIBS "")
while(lake_public_targets)
  list(POP_FRONT lake_public_targets target name)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "SHARED_LIBRARY")
    if(PROJECT_VERSION_MAJOR EQUAL 0)
      set(soversion ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
    else()
      set(soversion ${PROJECT_VERSION_MAJOR})
    endif()
    set_target_properties(${target} PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${soversion})
  endif()
  list(APPEND lake_installed ${target})
  string(APPEND LAKE_COMPONENTS_TEXT " ${name}")
endwhile()
while(lake_internal_targets)
  list(POP_FRONT lake_internal_targets target name)
  set_target_properties(${target} PROPERTIES EXPORT_NAME internal_${name})
  list(APPEND lake_installed ${target})
endwhile()
# Shared or not, an internal library is linked into whoever needs it.
if(BUILD_SHARED_LIBS)
  foreach(target lake_formats lake_sql lake_iceberg lake_object_store lake_spark_connect lake_spark_connect_protocol)
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endforeach()
endif()
# pkg-config's link line: the libraries in link order (users of a library
# before the libraries it uses).
foreach(library lake_config lake_spark lake_duckdb lake_client lake_migrate lake_iceberg lake_delta lake_gcs lake_s3
                lake_spark_connect lake_spark_connect_protocol lake_object_store lake_sql lake_formats lake_core)
  string(APPEND LAKE_PC_LIBS " -l${library}")
endforeach()
string(STRIP "${LAKE_PC_LIBS}" LAKE_PC_LIBS)
string(STRIP "${LAKE_COMPONENTS_TEXT}" LAKE_COMPONENTS_TEXT)

install(TARGETS ${lake_installed} EXPORT lakeorm-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS lakeorm RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/lake DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/lake/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/lake)

set(lake_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/lakeorm)
install(EXPORT lakeorm-targets NAMESPACE lakeorm:: DESTINATION ${lake_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lakeorm-config.cmake.in
                              ${PROJECT_BINARY_DIR}/lakeorm-config.cmake INSTALL_DESTINATION ${lake_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/lakeorm-config-version.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/lakeorm-config.cmake ${PROJECT_BINARY_DIR}/lakeorm-config-version.cmake
        DESTINATION ${lake_cmake_dir})

# pkg-config: written at install time, for the prefix installed into.
install(CODE "
  set(CMAKE_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(CMAKE_INSTALL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(CMAKE_INSTALL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(PROJECT_VERSION \"${PROJECT_VERSION}\")
  set(LAKE_PC_LIBS \"${LAKE_PC_LIBS}\")
  configure_file(\"${PROJECT_SOURCE_DIR}/cmake/lakeorm.pc.in\"
                 \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/lakeorm.pc\" @ONLY)
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig/lakeorm.pc\")
")

# add_subdirectory / FetchContent users link the same names.
foreach(name core delta migrate client duckdb s3 gcs spark config)
  if(NOT TARGET lakeorm::${name})
    add_library(lakeorm::${name} ALIAS lake_${name})
  endif()
endforeach()
