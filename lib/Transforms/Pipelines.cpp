//===- Pipelines.cpp - the target-independent attn pipeline ---------------===//
#include "attn/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::attn;

void mlir::attn::buildAttnSelectionPipeline(OpPassManager &pm,
                                            const AttnSelectionOptions &opts) {
  pm.addPass(createAttnExpandGrad());
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
}

void mlir::attn::registerAttnPipelines() {
  // Registering a pipeline twice is a fatal error in assert builds, and an
  // embedder may call this from several places of its own set-up.
  static bool registered = false;
  if (registered)
    return;
  registered = true;
  PassPipelineRegistration<AttnSelectionOptions>(
      "attn-select",
      "Record each attn op's form and chunk size chosen by the cost model "
      "(attn-select-form, attn-select-chunk); the ops stay attn ops",
      buildAttnSelectionPipeline);
}
