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

/// Tensors to buffers, loops and the LLVM dialect: the tail every CPU
/// pipeline shares once no attn op is left.
static void addBufferizeAndLowerToLLVM(OpPassManager &pm,
                                       bool resultsToOutParams) {
  pm.addPass(createCanonicalizerPass());
  addUpstream(pm, "one-shot-bufferize{bufferize-function-boundaries "
                  "function-boundary-type-conversion=identity-layout-map}");
  if (resultsToOutParams)
    addUpstream(pm, "buffer-results-to-out-params{hoist-static-allocs "
                    "modify-public-functions}");
  addUpstream(pm,
              "buffer-deallocation-pipeline,convert-bufferization-to-memref");
  addUpstream(pm,
              "convert-linalg-to-loops,expand-strided-metadata,lower-affine,"
              "convert-scf-to-cf,arith-expand{include-bf16},"
              "convert-math-to-llvm,convert-arith-to-llvm,"
              "convert-index-to-llvm,finalize-memref-to-llvm,"
              "convert-cf-to-llvm,convert-func-to-llvm,"
              "reconcile-unrealized-casts");
}

void mlir::attn::buildAttnReferenceToLLVMPipeline(
    OpPassManager &pm, const AttnReferenceToLLVMOptions &opts) {
  pm.addPass(createAttnLowerToReference());
  addBufferizeAndLowerToLLVM(pm, opts.resultsToOutParams);
}

void mlir::attn::buildAttnToLLVMPipeline(OpPassManager &pm,
                                         const AttnToLLVMOptions &opts) {
  AttnSelectFormOptions formOpts;
  formOpts.targetName = opts.target;
  formOpts.forcedForm = opts.form;
  formOpts.explain = opts.explain;
  pm.addPass(createAttnSelectForm(formOpts));
  AttnSelectChunkOptions chunkOpts;
  chunkOpts.targetName = opts.target;
  chunkOpts.chunkSize = opts.chunkSize;
  chunkOpts.explain = opts.explain;
  pm.addPass(createAttnSelectChunk(chunkOpts));
  pm.addPass(createAttnLowerChunkwise());
  // What is left (recurrent, reassociated, softmax quadratic) is the
  // definitional form.
  pm.addPass(createAttnLowerToReference());
  addBufferizeAndLowerToLLVM(pm, opts.resultsToOutParams);
}

void mlir::attn::registerAttnPipelines() {
  PassPipelineRegistration<AttnReferenceToLLVMOptions>(
      "attn-reference-to-llvm",
      "Lower attn ops through their exact reference form to the LLVM dialect "
      "(CPU, single-threaded loops)",
      buildAttnReferenceToLLVMPipeline);
  PassPipelineRegistration<AttnToLLVMOptions>(
      "attn-to-llvm",
      "Select each attn op's form and chunk size with the cost model, lower "
      "it in that form and on to the LLVM dialect (CPU, single-threaded "
      "loops)",
      buildAttnToLLVMPipeline);
}
