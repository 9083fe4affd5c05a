//===- Pipelines.cpp - attn pass pipelines ----------------------------------===//
#include "attn/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::attn;

/// Appends a textual pipeline of upstream passes. Upstream pass names are a
/// stable interface across MLIR releases, unlike the C++ factory functions.
static void addUpstream(OpPassManager &pm, StringRef pipeline) {
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error("attn: malformed built-in pipeline");
}

void mlir::attn::buildAttnReferenceToLLVMPipeline(
    OpPassManager &pm, const AttnReferenceToLLVMOptions &opts) {
  pm.addPass(createAttnLowerToReference());
  pm.addPass(createCanonicalizerPass());
  addUpstream(pm, "one-shot-bufferize{bufferize-function-boundaries "
                  "function-boundary-type-conversion=identity-layout-map}");
  if (opts.resultsToOutParams)
    addUpstream(pm, "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}");
  addUpstream(pm, "buffer-deallocation-pipeline,convert-bufferization-to-memref");
  addUpstream(pm,
              "convert-linalg-to-loops,expand-strided-metadata,lower-affine,"
              "convert-scf-to-cf,arith-expand{include-bf16},"
              "convert-math-to-llvm,convert-arith-to-llvm,"
              "convert-index-to-llvm,finalize-memref-to-llvm,"
              "convert-cf-to-llvm,convert-func-to-llvm,"
              "reconcile-unrealized-casts");
}

void mlir::attn::registerAttnPipelines() {
  PassPipelineRegistration<AttnReferenceToLLVMOptions>(
      "attn-reference-to-llvm",
      "Lower attn ops through their exact reference form to the LLVM dialect "
      "(CPU, single-threaded loops)",
      buildAttnReferenceToLLVMPipeline);
}
