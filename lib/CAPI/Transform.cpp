//===- Transform.cpp - C API: run a pass pipeline on MLIR text ------------===//
#include "attn-c/Attn.h"

#include "CompilerContext.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn::capi;

extern "C" {

char *attnTransform(const char *mlirText, const char *pipeline,
                    char **diagnostics) {
  return runOnModule(
      mlirText, diagnostics,
      [&](ModuleOp module, PassManager &pm) -> char * {
        if (failed(parsePipelineInto(pipeline, pm, diagnostics)))
          return nullptr;
        if (failed(pm.run(module)))
          return nullptr;
        std::string text;
        llvm::raw_string_ostream os(text);
        module->print(os);
        return copyString(text);
      });
}

} // extern "C"
