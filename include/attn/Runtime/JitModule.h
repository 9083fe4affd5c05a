//===- JitModule.h - run lowered attn functions in this process --*- C++ -*-===//
//
// A module lowered to the LLVM dialect (by attn-to-llvm or
// attn-reference-to-llvm with results-to-out-params), JIT-compiled with the
// MLIR ExecutionEngine. Every function is called through its C interface
// (`_mlir_ciface_<name>`, each memref argument passed as a pointer to its
// descriptor), results having become trailing out-parameters. Used by
// attn-run and by the C API behind the Python package.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_RUNTIME_JITMODULE_H
#define ATTN_RUNTIME_JITMODULE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <memory>

namespace mlir {
class DialectRegistry;
class ExecutionEngine;
}

namespace mlir::attn {

/// A dense row-major buffer passed to a compiled function.
struct DenseBuffer {
  void *data;
  llvm::ArrayRef<int64_t> shape;
};

/// Registers the translations to LLVM IR the JIT needs (builtin, LLVM,
/// OpenMP) in `registry`, before the context is created.
void registerJitTranslations(DialectRegistry &registry);

class JitModule {
public:
  /// JIT-compiles `module` (LLVM dialect, with the translations registered
  /// in its context) at -O3 for the host.
  static llvm::Expected<std::unique_ptr<JitModule>> create(ModuleOp module);
  ~JitModule();

  /// Calls `name` with `args` (inputs then outputs).
  llvm::Error call(llvm::StringRef name, llvm::ArrayRef<DenseBuffer> args);

private:
  JitModule() = default;
  std::unique_ptr<ExecutionEngine> engine;
};

} // namespace mlir::attn

#endif // ATTN_RUNTIME_JITMODULE_H
