//===- SanitizerDefaults.cpp - sanitizer options of attn's tools ----------===//
//
// Linked into the tools of a sanitizer build (-DATTN_ENABLE_SANITIZERS=ON;
// see docs/reliability.md). The environment (ASAN_OPTIONS, ...) still wins.
//
// allow_user_poisoning=0: LLVM's BumpPtrAllocator (MLIR's uniquer and
// operation storage) poisons each new slab and unpoisons what it hands out,
// but only in instrumented code. Our code inlines the instrumented copy and
// libMLIR.so the plain one, so a slab that our code started and libMLIR then
// allocates from looks poisoned: a false "use-after-poison". Ignoring manual
// poisoning keeps every other ASan check (heap, stack, globals, leaks).
//
//===----------------------------------------------------------------------===//

extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

extern "C" const char *__ubsan_default_options() {
  return "print_stacktrace=1";
}
