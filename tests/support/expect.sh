# Sourced by the shell suites (tests/cli, tests/migrate): `expect NAME
# STATUS PATTERN -- CMD...` runs CMD and checks that it exits with STATUS
# and that its stdout+stderr matches the extended regex PATTERN, printing
# "ok" or "FAIL" with the output; `finish` ends the suite with the count.
failures=0

expect() {
  local name=$1 status=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc != "$status" ]]; then
    echo "FAIL $name: exit $rc, expected $status"; echo "$out" | sed 's/^/    /'; failures=$((failures + 1)); return
  fi
  if ! grep -Eq -- "$pattern" <<<"$out"; then
    echo "FAIL $name: output does not match /$pattern/"; echo "$out" | sed 's/^/    /'; failures=$((failures + 1)); return
  fi
  echo "ok   $name"
}

finish() {
  if [[ $failures != 0 ]]; then
    echo "$failures check(s) failed"
    exit 1
  fi
  echo "all checks passed"
}
