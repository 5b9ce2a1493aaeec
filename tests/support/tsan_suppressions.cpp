// ThreadSanitizer's suppressions for the thread suites (linked into them
// only when LAKE_SANITIZE_THREADS is on; TSan asks for this function when
// a test starts).
//
// Only our code is instrumented. Arrow, Parquet, mimalloc and libstdc++
// come from Debian as they are, so TSan cannot see the atomics they
// synchronise with: a buffer whose last reference Arrow's I/O thread drops
// (the shared_ptr count falls inside libarrow), a Future completed on
// Arrow's pool, a Schema fingerprint Arrow publishes with a compare-and-
// swap, an allocation mimalloc hands between threads. Each such report has
// a frame of one of these libraries on one side. A race between two
// accesses in our own code on our own threads (parallel_for, the read-ahead
// workers) has none, and is still reported.
//
// One report has no Arrow frame to match: a Schema's fingerprint, which
// Schema::Equals computes on first use through a string stream and
// publishes with a compare-and-swap, shows only the stream's libstdc++
// frames under ours (Debian builds libarrow without frame pointers, so its
// frames drop out of the stack). Our code shares no string stream between
// threads, so those two stream functions are suppressed by name.
extern "C" const char* __tsan_default_suppressions() {
  return "race:libarrow.so\n"
         "race:libarrow_compute.so\n"
         "race:libparquet.so\n"
         "race:libmimalloc.so\n"
         "race:std::basic_streambuf<char, std::char_traits<char> >::xsputn\n"
         "race:std::__cxx11::basic_stringbuf<char, std::char_traits<char>, std::allocator<char> >::str\n";
}
