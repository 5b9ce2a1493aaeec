# check_compile_fails.cmake — runs one compile_fail case (cmake -P).
#
# lake-orm promises that a bad schema declaration fails the BUILD, with a
# message naming the struct and the member. A runtime test cannot prove
# that, so each case is a tiny source file compiled here with
# -fsyntax-only, and the outcome is compared with what the source declares:
#
#   // expect-error: <regex>   compilation must FAIL and the compiler output
#                              must match every such regex (CMake syntax;
#                              a ';' in a regex is taken literally)
#   // expect-compiles         compilation must SUCCEED (positive control:
#                              proves the harness tells the two apart)
#
# Usage:
#   cmake -DCOMPILER=<c++> -DSOURCE=<file.cpp> -DINCLUDE_DIR=<dir>
#         -P check_compile_fails.cmake

foreach(var COMPILER SOURCE INCLUDE_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_compile_fails: -D${var}=... is required")
  endif()
endforeach()

# --- read the expectations from the source ------------------------------------
# Semicolons are CMake's list separator; park them while splitting into
# lines so a regex may contain one.
file(READ "${SOURCE}" content)
string(REPLACE ";" "<lake-semicolon>" content "${content}")
string(REPLACE "\r" "" content "${content}")
string(REPLACE "\n" ";" lines "${content}")

set(expect_compiles FALSE)
set(patterns_count 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^[ \t]*//[ \t]*expect-compiles[ \t]*$")
    set(expect_compiles TRUE)
  elseif(line MATCHES "^[ \t]*//[ \t]*expect-error:[ \t]*(.*[^ \t])[ \t]*$")
    math(EXPR patterns_count "${patterns_count} + 1")
    string(REPLACE "<lake-semicolon>" ";" pattern_${patterns_count} "${CMAKE_MATCH_1}")
  endif()
endforeach()

if(expect_compiles AND patterns_count GREATER 0)
  message(FATAL_ERROR "${SOURCE}: has both '// expect-compiles' and '// expect-error:' lines")
endif()
if(NOT expect_compiles AND patterns_count EQUAL 0)
  message(FATAL_ERROR "${SOURCE}: declares no expectation; add '// expect-error: <regex>' "
                      "lines (or '// expect-compiles' for a positive control)")
endif()

# --- compile ----------------------------------------------------------------
# Plain ASCII, uncolored, unwrapped diagnostics so the regexes are stable.
set(ENV{LC_ALL} C)
execute_process(
  COMMAND "${COMPILER}" -std=c++26 -freflection -fsyntax-only
          -fdiagnostics-color=never -fmessage-length=0
          "-I${INCLUDE_DIR}" "${SOURCE}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)

# The first few "error:" lines: enough to see why a check went wrong without
# pages of template backtrace.
function(print_first_errors)
  string(REPLACE ";" "<lake-semicolon>" text "${output}")
  string(REPLACE "\n" ";" out_lines "${text}")
  set(shown 0)
  foreach(out_line IN LISTS out_lines)
    if(out_line MATCHES "error:" AND shown LESS 8)
      string(REPLACE "<lake-semicolon>" ";" out_line "${out_line}")
      message("  | ${out_line}")
      math(EXPR shown "${shown} + 1")
    endif()
  endforeach()
  if(shown EQUAL 0)
    message("  (no 'error:' lines in the compiler output)")
  endif()
endfunction()

if(expect_compiles)
  if(NOT result EQUAL 0)
    message("${SOURCE}: expected to compile, but the compiler failed (exit ${result}):")
    print_first_errors()
    message(FATAL_ERROR "compile_fail: positive control did not compile")
  endif()
  message(STATUS "compiles, as expected")
  return()
endif()

if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE}: expected a compile error, but it COMPILED: "
                      "the schema check does not reject this declaration")
endif()

set(missing "")
foreach(i RANGE 1 ${patterns_count})
  if(NOT "${output}" MATCHES "${pattern_${i}}")
    string(APPEND missing "\n  expect-error: ${pattern_${i}}")
  endif()
endforeach()
if(NOT missing STREQUAL "")
  message("${SOURCE}: compilation failed, but the output does not match:${missing}")
  message("compiler's first errors:")
  print_first_errors()
  message(FATAL_ERROR "compile_fail: wrong diagnostic")
endif()
message(STATUS "rejected with the expected diagnostic")
