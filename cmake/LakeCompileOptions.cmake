# Compile options for lake-orm's own targets. Third-party headers are
# included as SYSTEM so their warnings never fail our build.

add_library(lake_compile_options INTERFACE)
target_compile_options(lake_compile_options INTERFACE
  -freflection
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Wunused -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2
  # GCC's flow-based bounds warnings fire on Arrow's inlined buffer
  # builders (arrow/buffer_builder.h) with false positives at -O2; they are
  # reported at the header's location, so they can't be scoped to it.
  -Wno-array-bounds -Wno-stringop-overflow
  # The constexpr/reflection walks over large structs need more headroom
  # than the default evaluation limits.
  -fconstexpr-ops-limit=268435456
)
if(LAKE_WERROR)
  target_compile_options(lake_compile_options INTERFACE -Werror)
endif()
if(LAKE_SANITIZE)
  # UBSan's null / nonnull-attribute checks are left out: GCC 16 cannot
  # constant-evaluate null comparisons of reflection-made static strings
  # under them (even libstdc++'s std::string(const char*) check fails), so
  # every schema_of<T>() would stop compiling. ASan still reports null
  # dereferences (as SEGV); every other UBSan check stays on.
  set(lake_sanitizers -fsanitize=address,undefined
      -fno-sanitize=null,nonnull-attribute,returns-nonnull-attribute)
  target_compile_options(lake_compile_options INTERFACE
    ${lake_sanitizers} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(lake_compile_options INTERFACE ${lake_sanitizers})
endif()
if(LAKE_SANITIZE_THREADS)
  if(LAKE_SANITIZE)
    message(FATAL_ERROR "LAKE_SANITIZE (ASan) and LAKE_SANITIZE_THREADS (TSan) cannot share a build")
  endif()
  # Only our code is instrumented: Arrow, Parquet and the rest come from
  # Debian as they are. TSan still sees their locks and threads (it
  # intercepts pthreads), which is what orders our code's accesses.
  target_compile_options(lake_compile_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(lake_compile_options INTERFACE -fsanitize=thread)
endif()

# lake_add_target_options(<target>) applies the options above privately.
function(lake_add_target_options target)
  target_link_libraries(${target} PRIVATE lake_compile_options)
endfunction()
