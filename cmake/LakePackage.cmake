# A Debian package of the library, lakeorm-dev: what `cmake --install`
# installs (headers, the static libraries, the lakeorm CLI, the CMake
# package, lakeorm.pc), under /usr, depending on the -dev packages of what
# the libraries link, as Debian unstable names them (the project's
# toolchain, tools/sysroot-packages.txt). A consumer needs nothing else:
#
#   cpack -G DEB            (in a build directory; tools/dev package builds it
#                            and checks that it installs on the toolchain and
#                            that a project outside the tree builds against it)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME lakeorm-dev)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR lake-orm)
set(CPACK_PACKAGE_CONTACT "lake-orm developers <lake-orm@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "lake-orm for C++: structs validated and written to Delta Lake and Iceberg tables (development files)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# GCC 16 for C++26 reflection; Arrow 25 and DuckDB 2.0 are the versions the
# library is built and tested with.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "g++ (>= 4:16), cmake (>= 3.28), pkgconf | pkg-config, libarrow-dev (>= 25), libparquet-dev (>= 25), libduckdb-dev (>= 2.0), libgrpc++-dev, libprotobuf-dev, nlohmann-json3-dev, libcurl4-openssl-dev, libssl-dev, libtomlplusplus-dev, libavro-dev, libsqlite3-dev, libroaring-dev, zlib1g-dev")
include(CPack)
