# Sanitizer and fuzzer builds of attn's own code (issue 8, docs/reliability.md).
#
#   -DATTN_ENABLE_SANITIZERS=ON  AddressSanitizer + UndefinedBehaviorSanitizer
#                                on every target of this project; UBSan does not
#                                recover, so undefined behaviour fails the test.
#   -DATTN_ENABLE_FUZZER=ON      also builds tools/attn-fuzz, the libFuzzer
#                                target (clang only; implies the sanitizers).
#
# libMLIR.so / libLLVM.so and the code attn-run JIT-compiles are not
# instrumented: the sanitizers watch our code and what it does with theirs.
# Included by the top-level CMakeLists.txt before any target is defined.

option(ATTN_ENABLE_SANITIZERS
  "Build attn's code with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(ATTN_ENABLE_FUZZER
  "Build the libFuzzer target attn-fuzz (clang; implies ATTN_ENABLE_SANITIZERS)"
  OFF)

if(ATTN_ENABLE_FUZZER)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "ATTN_ENABLE_FUZZER needs clang (libFuzzer), got "
                        "${CMAKE_CXX_COMPILER_ID}; configure with "
                        "-DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++")
  endif()
  set(ATTN_ENABLE_SANITIZERS ON CACHE BOOL "" FORCE)
endif()

if(ATTN_ENABLE_SANITIZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang|GNU")
    message(FATAL_ERROR "ATTN_ENABLE_SANITIZERS needs clang or gcc")
  endif()
  set(ATTN_SANITIZE "-fsanitize=address,undefined")
  # -UNDEBUG: the assertions of our code and of the inline LLVM/MLIR
  # headers (cast<>, ArrayRef bounds, ...) are on whatever the build type;
  # they change no ABI (LLVM_ENABLE_ABI_BREAKING_CHECKS is fixed by libLLVM).
  add_compile_options(${ATTN_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g -UNDEBUG)
  add_link_options(${ATTN_SANITIZE})
  if(ATTN_ENABLE_FUZZER)
    # Coverage counters in every library of ours, so the fuzzer is guided by
    # what our verifiers and passes do; only attn-fuzz links libFuzzer itself.
    add_compile_options(-fsanitize=fuzzer-no-link)
  endif()
  # An instrumented CPython extension cannot load into an uninstrumented
  # interpreter (the ASan runtime must come first), so the Python package is
  # off in sanitizer builds unless asked for; its C++ underneath (lib/CAPI,
  # the passes) is exercised by the tools' tests.
  if(NOT DEFINED ATTN_ENABLE_PYTHON)
    set(ATTN_ENABLE_PYTHON OFF CACHE BOOL
        "Build the Python package (off by default with the sanitizers)")
  endif()
  message(STATUS "attn: building with ${ATTN_SANITIZE} "
                 "(fuzzer: ${ATTN_ENABLE_FUZZER})")
endif()

# Where the lit suite finds the LeakSanitizer suppressions (leaks inside the
# non-instrumented libMLIR / libLLVM only; see test/asan/lsan.supp).
set(ATTN_LSAN_SUPPRESSIONS ${PROJECT_SOURCE_DIR}/test/asan/lsan.supp)
