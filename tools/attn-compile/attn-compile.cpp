//===- attn-compile.cpp - compile attn functions to a shared library -------===//
//
// attn-compile FILE.mlir -o libkernels.so [--pipeline=...] [--form=...]
//
// Lowers every function of the module (by default with attn-to-cpu) and
// writes host code as a shared library. Each function @f with static tensor
// arguments is exported with the C ABI
//
//   void _mlir_ciface_f(MemRef *arg0, ..., MemRef *result0, ...);
//
// where MemRef is {T *allocated, T *aligned, int64_t offset,
// int64_t sizes[rank], int64_t strides[rank]} and results are buffers the
// caller allocates (see README for a C example).
//
//===----------------------------------------------------------------------===//
#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Runtime/JitModule.h"
#include "attn/Conversion/AttnToCPU/AttnToCPU.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory cat("attn-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input .mlir>"),
                                      cl::init("-"), cl::cat(cat));
static cl::opt<std::string> outputFile("o", cl::desc("Shared library to write"),
                                       cl::value_desc("lib.so"), cl::Required,
                                       cl::cat(cat));
static cl::opt<std::string> pipeline(
    "pipeline",
    cl::desc("Lowering pipeline; it must end in the LLVM dialect with "
             "results as out-parameters"),
    cl::init("attn-to-cpu{results-to-out-params=true}"), cl::cat(cat));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "attn-compile: error: " << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAllPasses();
  attn::registerAttnPasses();
  attn::registerAttnPipelines();
  attn::registerAttnToCPUPasses();
  attn::registerAttnCPUPipelines();
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(
      argc, argv, "attn-compile: attn functions to a shared library\n");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  attn::registerAttnDialect(registry);
  attn::registerJitTranslations(registry);
  MLIRContext context(registry);

  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file)
    return fail(error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;
  unsigned count = 0;
  for (auto f : module->getOps<func::FuncOp>())
    if (!f.isExternal()) {
      f->setAttr("llvm.emit_c_interface", UnitAttr::get(&context));
      ++count;
    }
  if (!count)
    return fail("the module has no function with a body");

  PassManager pm(&context);
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    return fail("cannot parse --pipeline '" + pipeline + "'");
  if (failed(pm.run(*module)))
    return fail("lowering with '" + pipeline + "' failed");
  auto jit = attn::JitModule::create(*module);
  if (!jit)
    return fail("code generation failed: " + llvm::toString(jit.takeError()));
  if (llvm::Error e = (*jit)->saveSharedLibrary(outputFile))
    return fail(llvm::toString(std::move(e)));
  return 0;
}
