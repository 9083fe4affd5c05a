//===- JitInvoke.h - run a lowered function through the MLIR JIT -*- C++ -*-===//
#ifndef ATTN_TOOLS_ATTN_RUN_JITINVOKE_H
#define ATTN_TOOLS_ATTN_RUN_JITINVOKE_H

#include "HostArray.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <vector>

namespace mlir {
class ExecutionEngine;
}

namespace attn::run {

/// A JIT-compiled module whose functions take memref arguments through the C
/// interface (`_mlir_ciface_<name>`, each argument a pointer to a memref
/// descriptor), results having become trailing out-parameters.
class JitModule {
public:
  static llvm::Expected<std::unique_ptr<JitModule>> create(mlir::ModuleOp m);
  ~JitModule();

  /// Calls `name` with `args` (inputs then outputs), each a dense buffer.
  llvm::Error call(llvm::StringRef name, std::vector<HostArray *> args);

private:
  std::unique_ptr<mlir::ExecutionEngine> engine;
};

} // namespace attn::run

#endif // ATTN_TOOLS_ATTN_RUN_JITINVOKE_H
