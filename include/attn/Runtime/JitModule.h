//===- JitModule.h - run lowered attn functions in this process --*- C++ -*-===//
//
// A module lowered to the LLVM dialect (by attn-to-cpu, attn-to-llvm or
// attn-reference-to-llvm with results-to-out-params) becomes host code in
// one of two ways: JIT-compiled in this process with the MLIR
// ExecutionEngine, or written as a shared library (the same
// position-independent code, linked by clang with lld) that any process
// loads later. Either way every
// function is called through its C interface, `_mlir_ciface_<name>`, each
// memref argument passed as a pointer to its descriptor {allocated ptr,
// aligned ptr, offset, sizes[rank], strides[rank]}, results being trailing
// out-parameters. Used by attn-run, attn-compile and the C API.
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

/// Compiled functions, callable by name.
class CompiledModule {
public:
  virtual ~CompiledModule();
  /// Calls `name` with `args` (inputs then outputs).
  llvm::Error call(llvm::StringRef name, llvm::ArrayRef<DenseBuffer> args);

protected:
  /// The packed wrapper of `_mlir_ciface_<name>` (all arguments through one
  /// void** array), or an error.
  virtual llvm::Expected<void (*)(void **)> lookupPacked(llvm::StringRef name) = 0;
};

/// Code JIT-compiled in this process.
class JitModule : public CompiledModule {
public:
  /// JIT-compiles `module` (LLVM dialect, with the translations registered
  /// in its context) at -O3 for the host, as position-independent code.
  static llvm::Expected<std::unique_ptr<JitModule>> create(ModuleOp module);
  ~JitModule() override;

  /// Writes the compiled code as a shared library at `path` (linked by
  /// clang-22 with lld against libomp and the MLIR C runner utilities).
  llvm::Error saveSharedLibrary(llvm::StringRef path);

protected:
  llvm::Expected<void (*)(void **)> lookupPacked(llvm::StringRef name) override;

private:
  JitModule() = default;
  std::unique_ptr<ExecutionEngine> engine;
};

/// A shared library written by JitModule::saveSharedLibrary, loaded.
class SharedLibraryModule : public CompiledModule {
public:
  static llvm::Expected<std::unique_ptr<SharedLibraryModule>>
  load(llvm::StringRef path);
  ~SharedLibraryModule() override;

protected:
  llvm::Expected<void (*)(void **)> lookupPacked(llvm::StringRef name) override;

private:
  SharedLibraryModule() = default;
  void *handle = nullptr;
};

} // namespace mlir::attn

#endif // ATTN_RUNTIME_JITMODULE_H
