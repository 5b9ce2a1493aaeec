# The Spark Connect protocol, generated at build time.
#
# The .proto files are never copied into the repository: they come from
# Spark's own jar, org.apache.spark:spark-connect_2.13 (the one pip's
# pyspark ships in pyspark/jars), pinned with its SHA-256 as a `#jar` line in
# tools/spark-connect-requirements.txt and fetched once by tools/peers into
# the peers cache (14 MB, so building does not need Spark's 1.4 GB venv).
# LAKE_SPARK_CONNECT_JAR names another copy of the same jar (an offline
# machine, or pyspark's own) and skips the fetch.
#
# The jar also bundles the google.rpc protos Spark's errors use
# (status.proto, error_details.proto: the ErrorInfo carrying errorClass,
# sqlState and errorId); Debian packages them for Python only, so they are
# taken from the same jar. The well-known types (any, duration, timestamp)
# come from libprotobuf's own headers, so they match the runtime.
#
# Result: the static library lake_spark_connect_protocol with the messages
# (protoc) and the service stubs (grpc_cpp_plugin), built without our warning
# flags and exposed as SYSTEM headers so generated code never fails -Werror.

find_package(gRPC CONFIG REQUIRED)  # also finds Protobuf (CMake's FindProtobuf)

set(LAKE_SPARK_CONNECT_JAR "" CACHE FILEPATH
    "spark-connect_2.13 jar to take the Spark Connect .proto files from (default: the pinned one, fetched by tools/peers)")

set(lake_spark_connect_jar "${LAKE_SPARK_CONNECT_JAR}")
if(NOT lake_spark_connect_jar)
  execute_process(
    COMMAND "${PROJECT_SOURCE_DIR}/tools/peers" --set spark-connect jar org.apache.spark:spark-connect_2.13
    OUTPUT_VARIABLE lake_spark_connect_jar
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_VARIABLE lake_peers_stderr
    RESULT_VARIABLE lake_peers_result)
  if(NOT lake_peers_result EQUAL 0 OR NOT EXISTS "${lake_spark_connect_jar}")
    message(FATAL_ERROR "cannot fetch the Spark Connect protocol jar with tools/peers:\n${lake_peers_stderr}"
                        "Set LAKE_SPARK_CONNECT_JAR to a spark-connect_2.13 jar to build offline.")
  endif()
endif()

# Every spark/connect file except example_plugins.proto: base.proto, which
# holds the service, imports all the others.
set(lake_spark_connect_protos
  spark/connect/base.proto
  spark/connect/catalog.proto
  spark/connect/commands.proto
  spark/connect/common.proto
  spark/connect/expressions.proto
  spark/connect/ml.proto
  spark/connect/ml_common.proto
  spark/connect/pipelines.proto
  spark/connect/relations.proto
  spark/connect/types.proto
  google/rpc/status.proto
  google/rpc/error_details.proto)

set(proto_dir "${CMAKE_CURRENT_BINARY_DIR}/spark_connect_proto")
set(generated_dir "${CMAKE_CURRENT_BINARY_DIR}/spark_connect_generated")

set(extracted "")
set(generated_sources "")
set(generated_headers "")
foreach(proto IN LISTS lake_spark_connect_protos)
  list(APPEND extracted "${proto_dir}/${proto}")
  string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
  list(APPEND generated_sources "${generated_dir}/${stem}.pb.cc")
  list(APPEND generated_headers "${generated_dir}/${stem}.pb.h")
endforeach()
# Only the service has stubs.
list(APPEND generated_sources "${generated_dir}/spark/connect/base.grpc.pb.cc")
list(APPEND generated_headers "${generated_dir}/spark/connect/base.grpc.pb.h")

add_custom_command(
  OUTPUT ${extracted}
  COMMAND ${CMAKE_COMMAND} -E rm -rf "${proto_dir}"
  COMMAND ${CMAKE_COMMAND} -E make_directory "${proto_dir}"
  COMMAND ${CMAKE_COMMAND} -E chdir "${proto_dir}" ${CMAKE_COMMAND} -E tar xf "${lake_spark_connect_jar}" -- ${lake_spark_connect_protos}
  # tar keeps the jar's timestamps; touch so the outputs are newer than it.
  COMMAND ${CMAKE_COMMAND} -E touch ${extracted}
  DEPENDS "${lake_spark_connect_jar}"
  COMMENT "Extracting the Spark Connect .proto files from ${lake_spark_connect_jar}"
  VERBATIM)

get_target_property(lake_grpc_cpp_plugin gRPC::grpc_cpp_plugin LOCATION)
add_custom_command(
  OUTPUT ${generated_sources} ${generated_headers}
  COMMAND ${CMAKE_COMMAND} -E make_directory "${generated_dir}"
  COMMAND protobuf::protoc
          "-I${proto_dir}" "-I${Protobuf_INCLUDE_DIR}"
          "--cpp_out=${generated_dir}"
          "--grpc_out=${generated_dir}"
          "--plugin=protoc-gen-grpc=${lake_grpc_cpp_plugin}"
          ${lake_spark_connect_protos}
  DEPENDS ${extracted} protobuf::protoc gRPC::grpc_cpp_plugin
  WORKING_DIRECTORY "${proto_dir}"
  COMMENT "Generating the Spark Connect protocol (protoc + grpc_cpp_plugin)"
  VERBATIM)

# --grpc_out writes (empty) service files for every input; only base has a
# service, and only its stubs are compiled.
add_library(lake_spark_connect_protocol STATIC ${generated_sources} ${generated_headers})
target_include_directories(lake_spark_connect_protocol SYSTEM PUBLIC "$<BUILD_INTERFACE:${generated_dir}>")
target_link_libraries(lake_spark_connect_protocol PUBLIC gRPC::grpc++ protobuf::libprotobuf)
# 5 MB of generated C++: no debug information (nobody steps through it, and
# it would dominate the build's size and time).
target_compile_options(lake_spark_connect_protocol PRIVATE -g0 -w)
set_target_properties(lake_spark_connect_protocol PROPERTIES CXX_SCAN_FOR_MODULES OFF)
