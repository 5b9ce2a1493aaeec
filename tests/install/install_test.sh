#!/usr/bin/env bash
# Using lake-orm from another project (label install): `cmake --install` of
# this build into a temporary prefix, then a project outside the tree
# (tests/install/consumer) finds the package, builds, links and runs the
# hero path; the same program built from the pkg-config file; and the
# installed CLI runs.
#   install_test.sh BUILD_DIR CXX_COMPILER [LINK_FLAGS]
# (LINK_FLAGS: what a link against this build needs besides pkg-config's,
# e.g. the sanitizers of a sanitizer build.)
set -uo pipefail
build=${1:?the build directory to install from}
cxx=${2:?the C++ compiler the build used}
link_flags=${3:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
source "$here/../support/expect.sh"

prefix=$dir/prefix
expect install 0 'Installing: .*/lib/cmake/lakeorm/lakeorm-config.cmake' -- cmake --install "$build" --prefix "$prefix"
for file in include/lake/lake.hpp include/lake/version.hpp lib/cmake/lakeorm/lakeorm-targets.cmake \
            lib/pkgconfig/lakeorm.pc bin/lakeorm; do
  [[ -e $prefix/$file ]] && echo "ok   installed $file" || { echo "FAIL $file is not installed"; failures=$((failures + 1)); }
done
# Nothing of the internals: their headers stay in the source tree.
[[ ! -e $prefix/include/formats && ! -e $prefix/include/delta ]] && echo "ok   no internal headers" ||
  { echo "FAIL internal headers installed"; failures=$((failures + 1)); }

expect configure 0 'Build files have been written' -- \
  cmake -S "$here/consumer" -B "$dir/consumer" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix"
expect build 0 'Linking CXX executable consumer' -- cmake --build "$dir/consumer"
expect run 0 '^lake-orm [0-9]+\.[0-9]+\.[0-9]+ \(version number [0-9]+\): users has 2 rows' -- \
  "$dir/consumer/consumer" "$dir/data"
expect missing-component 1 "lakeorm has no component 'nosuch'" -- \
  cmake -S "$here/consumer" -B "$dir/nosuch" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
  -DLAKEORM_EXTRA_COMPONENTS=nosuch

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
expect pkg-config 0 '-freflection' -- pkg-config --cflags lakeorm
# shellcheck disable=SC2046
expect pkg-config-build 0 '' -- "$cxx" -O1 -DCONSUMER_WITH_CONFIG -o "$dir/consumer-pc" "$here/consumer/main.cpp" \
  $(pkg-config --cflags lakeorm) $(pkg-config --libs lakeorm) $link_flags
expect pkg-config-run 0 'users has 2 rows' -- "$dir/consumer-pc" "$dir/data-pc"
expect cli 0 'migrate status DIR' -- "$prefix/bin/lakeorm" --help

finish
