#!/usr/bin/env bash
# lake-orm built as part of another project (label install): the consumer
# of tests/install/consumer adds this source tree with add_subdirectory
# (as FetchContent does), links lakeorm::duckdb, builds only what that
# needs, and runs the hero path. Its build directory sits beside this build's (build/<flavour>) and
# is configured the same way (build type, -Werror, the compiler cache), so
# the cache gives back the library's objects: the sources' paths are the
# same relative to the build directory (tools/dev sets CCACHE_BASEDIR).
#   subdirectory_test.sh SOURCE_DIR BUILD_DIR CXX_COMPILER BUILD_TYPE [LAUNCHER [BUILD_TYPE_FLAGS]]
set -uo pipefail
source_dir=${1:?the lake-orm source tree}
build=${2:?this build directory}
cxx=${3:?the C++ compiler the build used}
build_type=${4:?the build type}
launcher=${5:-}
# The build's CMAKE_CXX_FLAGS_<BUILD_TYPE>: objects compiled with other
# flags would all miss the cache.
type_flags=("-DCMAKE_CXX_FLAGS_${build_type^^}=${6:-}")
[[ $# -ge 6 ]] || type_flags=()
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
consumer=$(dirname "$build")/$(basename "$build")-subdirectory-consumer
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
source "$here/../support/expect.sh"

expect configure 0 'Build files have been written' -- \
  cmake -S "$here/consumer" -B "$consumer" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE="$build_type" \
  -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher" -DLAKE_WERROR=ON -DLAKEORM_SOURCE_DIR="$source_dir" "${type_flags[@]}"
# Only what the consumer links is built: no tests, examples or tools, and
# of the library neither Spark nor the object stores.
expect build 0 '' -- cmake --build "$consumer" --target consumer
expect no-tests 0 '' -- test ! -e "$consumer/lakeorm/tests"
expect no-spark 0 '' -- test ! -e "$consumer/lakeorm/src/liblake_spark.a"
expect run 0 '^lake-orm [0-9]+\.[0-9]+\.[0-9]+ \(version number [0-9]+\): users has 2 rows' -- \
  "$consumer/consumer" "$data/lake"
finish
