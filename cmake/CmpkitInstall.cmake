# Install rules, included by the top-level CMakeLists.txt after the targets.
#
#   bin/cmpkit
#   lib/libcmpkit.so.<SOVERSION> (soname), libcmpkit.so.<VERSION>, libcmpkit.so, libcmpkit.a
#   include/cmpkit/*.h                       the public headers only (lib/ stays private)
#   lib/pkgconfig/cmpkit.pc                  pkg-config --cflags --libs cmpkit
#   lib/cmake/cmpkit/cmpkitConfig*.cmake     find_package(cmpkit): cmpkit::cmpkit (shared),
#                                            cmpkit::cmpkit_static
#   share/man/man1/cmpkit.1
#   share/doc/cmpkit/                        API.md, README.md, examples/, contrib/
#
# Directories follow GNUInstallDirs (CMAKE_INSTALL_LIBDIR may be lib/<multiarch>
# with the prefix /usr); the prefix may still change at install time
# (cmake --install --prefix), so cmpkit.pc is written then, and the CMake
# package finds its prefix from its own location.
include(CMakePackageConfigHelpers)

set(CMPKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cmpkit)

install(TARGETS cmpkit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS cmpkit_shared cmpkit_static EXPORT cmpkitTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/cmpkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${CMPKIT_GENERATED_INCLUDE_DIR}/cmpkit/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cmpkit)

# ---- CMake package ----
install(EXPORT cmpkitTargets NAMESPACE cmpkit:: DESTINATION ${CMPKIT_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/cmpkitConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/cmpkitConfig.cmake
                              INSTALL_DESTINATION ${CMPKIT_CMAKE_DIR})
# The soname changes only with the major version (CMPKIT_SOVERSION), so a
# request for 0.1 is met by any later 0.x.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmpkitConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmpkitConfig.cmake ${CMAKE_BINARY_DIR}/cmpkitConfigVersion.cmake
        DESTINATION ${CMPKIT_CMAKE_DIR})

# ---- pkg-config ----
# Written at install time from the prefix in effect then (a --prefix given to
# cmake --install wins over CMAKE_INSTALL_PREFIX); DESTDIR is not part of it.
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(CMPKIT_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(CMPKIT_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
set(CMPKIT_PC_LIBS_PRIVATE "-pthread")
foreach(lib ${CMAKE_DL_LIBS})
  string(APPEND CMPKIT_PC_LIBS_PRIVATE " -l${lib}")
endforeach()
# Two steps: everything but the prefix now, the prefix at install time.
set(CMPKIT_PC_PREFIX "@CMPKIT_PC_PREFIX@")
configure_file(${CMAKE_SOURCE_DIR}/cmake/cmpkit.pc.in ${CMAKE_BINARY_DIR}/cmpkit.pc.in @ONLY)
install(CODE "
  set(CMPKIT_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_BINARY_DIR}/cmpkit.pc.in\" \"${CMAKE_BINARY_DIR}/cmpkit.pc\" @ONLY)
")
install(FILES ${CMAKE_BINARY_DIR}/cmpkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# ---- documentation ----
install(FILES ${CMAKE_SOURCE_DIR}/docs/cmpkit.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/docs/API.md ${CMAKE_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples ${CMAKE_SOURCE_DIR}/contrib
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
