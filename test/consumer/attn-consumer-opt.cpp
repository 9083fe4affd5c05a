//===- attn-consumer-opt.cpp - a compiler that embeds attn -----------------===//
//
// An mlir-opt of another project: the upstream dialects it needs, attn
// registered through attn/InitAttn.h, and a pipeline of its own assembled from
// attn's C++ pipeline builders and pass factories.
//
//===----------------------------------------------------------------------===//
#include "attn/InitAttn.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

/// The consumer's own lowering: attn's form and chunk selection, then its
/// chunkwise and reference lowerings, then cleanup. No attn op is left.
static void buildLowerAttn(OpPassManager &pm,
                           const attn::AttnSelectionOptions &opts) {
  attn::buildAttnSelectionPipeline(pm, opts);
  pm.addPass(attn::createAttnLowerChunkwise());
  pm.addPass(attn::createAttnLowerToReference());
  pm.addPass(createCanonicalizerPass());
}

int main(int argc, char **argv) {
  DialectRegistry registry;
  registry.insert<arith::ArithDialect, func::FuncDialect, linalg::LinalgDialect,
                  math::MathDialect, scf::SCFDialect, tensor::TensorDialect>();
  attn::registerAllAttn(registry);
  registerCanonicalizerPass();
  PassPipelineRegistration<attn::AttnSelectionOptions>(
      "consumer-lower-attn",
      "Select forms and lower every attn op to linalg/scf (the consumer's "
      "pipeline)",
      buildLowerAttn);
  return asMainReturnCode(
      MlirOptMain(argc, argv, "a compiler that embeds attn\n", registry));
}
