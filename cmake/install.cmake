# cmake/install.cmake — what `cmake --install` puts where, and the Debian
# package `cpack -G DEB` makes of it: the quantc command, the runtime (qrt.h,
# the host's libqrt.a, and its sources, so that a project builds it for its
# own target), the CMake package (find_package(quantc), quantc_add_model),
# pkg-config's qrt.pc and the man page.  Included by the top CMakeLists.txt.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(QUANTC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/quantc)
set(QUANTC_RUNTIME_SRC_DIR ${CMAKE_INSTALL_DATADIR}/quantc/runtime/src)

install(TARGETS quantc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS qrt ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# under include/quantc: qrt.h is a common enough name to collide in /usr/include
install(DIRECTORY runtime/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/quantc
        FILES_MATCHING PATTERN "*.h")
install(FILES ${QRT_SOURCES} DESTINATION ${QUANTC_RUNTIME_SRC_DIR})
install(FILES docs/quantc.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The package finds its files relative to itself, so a prefix can be moved
# (cpack stages it elsewhere than it installs it).
configure_package_config_file(cmake/quantcConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/quantcConfig.cmake
  INSTALL_DESTINATION ${QUANTC_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_INCLUDEDIR QUANTC_RUNTIME_SRC_DIR)
# ARCH_INDEPENDENT: the package is a host tool plus sources, and a project
# cross-compiling for a 32-bit core must still accept it.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/quantcConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/quantcConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/quantcConfigVersion.cmake
  cmake/quantc_add_model.cmake
  DESTINATION ${QUANTC_CMAKE_DIR})

# qrt.pc names absolute paths, so it is written when installing, for the
# prefix installed to (cmake --install --prefix P, or cpack's /usr); in a
# folder of its own per prefix, as two installs from one build may overlap.
install(CODE "
  set(QRT_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(QRT_PC_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(QRT_PC_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(QRT_PC_VERSION \"${PROJECT_VERSION}\")
  string(MD5 qrt_pc_tag \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}\")
  set(qrt_pc \"${CMAKE_CURRENT_BINARY_DIR}/qrt-pc/\${qrt_pc_tag}/qrt.pc\")
  configure_file(\"${CMAKE_CURRENT_SOURCE_DIR}/cmake/qrt.pc.in\" \"\${qrt_pc}\" @ONLY)
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\"
       TYPE FILE FILES \"\${qrt_pc}\")")

# --- cpack -G DEB -------------------------------------------------------------
set(CPACK_PACKAGE_NAME quantc)
set(CPACK_PACKAGE_VENDOR quantc)
set(CPACK_PACKAGE_CONTACT "quantc developers <quantc@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ahead-of-time quantizing compiler for neural networks")
set(CPACK_PACKAGE_DESCRIPTION "quantc compiles a trained float network (.qg graph, .npy weights)
and calibration data into a standalone int8 object file and C header for
x86-64, ARM (Cortex-A, Cortex-M) and RISC-V.  The package holds the quantc
command, its runtime (header, host library, sources for other targets), a
CMake package with quantc_add_model(), pkg-config's qrt.pc and the man page.")
# staged through DESTDIR, so that the install rules see the final prefix
# (qrt.pc), not cpack's staging folder
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# Depends from the libraries quantc links (libllvm19, libc6, ...)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "cmake, pkg-config, gcc-arm-none-eabi, picolibc-arm-none-eabi")
include(CPack)
