//===- GpuCompile.cpp - C API: attn functions to PTX + launch manifests ---===//
#include "attn-c/Attn.h"

#include "CompilerContext.h"

#include "attn/Conversion/AttnToGPU/GpuArtifacts.h"
#include "attn/Conversion/Passes.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::attn::capi;

extern "C" {

char *attnCompileGPU(const char *mlirText, const char *target,
                     char **diagnostics) {
  return runOnModule(
      mlirText, diagnostics,
      [&](ModuleOp module, PassManager &pm) -> char * {
        attn::AttnToGPUOptions options;
        options.target = target;
        attn::buildAttnToGPUPipeline(pm, options);
        if (failed(pm.run(module)))
          return nullptr;
        FailureOr<SmallVector<attn::GpuKernelArtifact>> artifacts =
            attn::collectGpuArtifacts(module);
        if (failed(artifacts))
          return nullptr;
        llvm::json::Array kernels;
        for (const attn::GpuKernelArtifact &a : *artifacts) {
          llvm::Expected<llvm::json::Value> manifest =
              llvm::json::parse(a.manifest);
          if (!manifest) {
            module.emitError() << "internal error: malformed manifest of '"
                               << a.name
                               << "': " << llvm::toString(manifest.takeError());
            return nullptr;
          }
          kernels.push_back(llvm::json::Object{
              {"name", a.name}, {"ptx", a.ptx}, {"manifest", *manifest}});
        }
        std::string json;
        llvm::raw_string_ostream os(json);
        os << llvm::json::Value(std::move(kernels));
        return copyString(json);
      });
}

} // extern "C"
