//===- CompilerContext.h - what every C API entry point shares -*- C++ -*-===//
//
// Internal to lib/CAPI: one place registers the passes, makes contexts with
// every dialect the pipelines need, collects diagnostics as text and hands
// strings to C callers (malloc'd, freed by attnFreeString).
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_CAPI_COMPILERCONTEXT_H
#define ATTN_LIB_CAPI_COMPILERCONTEXT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <memory>
#include <string>

namespace mlir::attn::capi {

/// Registers every pass and pipeline (upstream's and attn's) once per
/// process: their names are global.
void registerEverythingOnce();

/// A context with every dialect, extension and JIT translation attn's
/// pipelines use; single-threaded (kernels compile on the caller's thread).
std::unique_ptr<mlir::MLIRContext> makeContext();

/// A malloc'd copy of `s`, for the caller to attnFreeString.
char *copyString(const std::string &s);
/// `*dst = copyString(s)` where `dst` is not null.
void setString(char **dst, const std::string &s);

/// Collects every diagnostic of a context as "loc: severity: message" lines
/// while it lives.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext &ctx);
  ~DiagnosticCollector();
  const std::string &text() const { return buffer; }

private:
  void append(mlir::Diagnostic &d);

  mlir::DiagnosticEngine::HandlerID handler;
  mlir::MLIRContext &ctx;
  std::string buffer;
};

/// Parses `mlirText` in a fresh context (with the GPU translations, which
/// gpu-module-to-binary needs) and hands the module and a pass manager to
/// `body`; the collected diagnostics go to `*diagnostics` unless `body` set
/// them itself (a null result with none collected).
char *runOnModule(
    const char *mlirText, char **diagnostics,
    llvm::function_ref<char *(mlir::ModuleOp, mlir::PassManager &)> body);

/// Parses `pipeline` into `pm`; on failure sets `*error` to a message naming
/// the pipeline.
mlir::LogicalResult parsePipelineInto(const char *pipeline,
                                      mlir::PassManager &pm, char **error);

} // namespace mlir::attn::capi

#endif // ATTN_LIB_CAPI_COMPILERCONTEXT_H
