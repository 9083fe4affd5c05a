//===- CompilerContext.cpp - what every C API entry point shares ----------===//
#include "CompilerContext.h"

#include "attn-c/Attn.h"

#include "attn/Conversion/Passes.h"
#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Runtime/JitModule.h"
#include "attn/Transforms/Passes.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace mlir;

namespace mlir::attn::capi {

void registerEverythingOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerAllPasses();
    attn::registerAttnPasses();
    attn::registerAttnPipelines();
    attn::registerAttnConversionPasses();
  });
}

std::unique_ptr<MLIRContext> makeContext() {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  attn::registerAttnDialect(registry);
  attn::registerJitTranslations(registry);
  auto context = std::make_unique<MLIRContext>(registry);
  // Kernels are compiled on the caller's thread; no thread pool per context.
  context->disableMultithreading();
  return context;
}

char *copyString(const std::string &s) {
  char *out = static_cast<char *>(std::malloc(s.size() + 1));
  std::memcpy(out, s.c_str(), s.size() + 1);
  return out;
}

void setString(char **dst, const std::string &s) {
  if (dst)
    *dst = copyString(s);
}

DiagnosticCollector::DiagnosticCollector(MLIRContext &ctx)
    : handler(ctx.getDiagEngine().registerHandler([this](Diagnostic &d) {
        append(d);
        return success();
      })),
      ctx(ctx) {}

DiagnosticCollector::~DiagnosticCollector() {
  ctx.getDiagEngine().eraseHandler(handler);
}

/// "file:line:col" as compilers print it, when the location has one.
static void printLocation(llvm::raw_ostream &os, Location loc) {
  if (auto flc = loc->findInstanceOf<FileLineColLoc>())
    os << flc.getFilename().getValue() << ":" << flc.getLine() << ":"
       << flc.getColumn();
  else
    os << loc;
}

void DiagnosticCollector::append(Diagnostic &d) {
  llvm::raw_string_ostream os(buffer);
  printLocation(os, d.getLocation());
  os << ": ";
  switch (d.getSeverity()) {
  case DiagnosticSeverity::Error:
    os << "error: ";
    break;
  case DiagnosticSeverity::Warning:
    os << "warning: ";
    break;
  case DiagnosticSeverity::Remark:
    os << "remark: ";
    break;
  case DiagnosticSeverity::Note:
    os << "note: ";
    break;
  }
  os << d << "\n";
  for (Diagnostic &note : d.getNotes())
    append(note);
}

char *runOnModule(const char *mlirText, char **diagnostics,
                  llvm::function_ref<char *(ModuleOp, PassManager &)> body) {
  registerEverythingOnce();
  std::unique_ptr<MLIRContext> context = makeContext();
  DialectRegistry gpuTranslations;
  registerAllToLLVMIRTranslations(gpuTranslations);
  context->appendDialectRegistry(gpuTranslations);
  DiagnosticCollector diags(*context);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      mlirText, ParserConfig(context.get()), "<input>");
  char *result = nullptr;
  if (module) {
    PassManager pm(context.get());
    result = body(*module, pm);
  }
  if (!diags.text().empty() || result)
    setString(diagnostics, diags.text());
  return result;
}

LogicalResult parsePipelineInto(const char *pipeline, PassManager &pm,
                                char **error) {
  std::string pipelineError;
  llvm::raw_string_ostream pipelineErrors(pipelineError);
  if (succeeded(parsePassPipeline(pipeline, pm, pipelineErrors)))
    return success();
  setString(error,
            "invalid pipeline '" + std::string(pipeline) + "': " + pipelineError);
  return failure();
}

} // namespace mlir::attn::capi

extern "C" {

void attnFreeString(char *string) { std::free(string); }

const char *attnVersion(void) { return ATTN_VERSION; }

} // extern "C"
