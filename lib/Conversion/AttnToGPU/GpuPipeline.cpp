//===- GpuPipeline.cpp - the attn-to-gpu pipeline -------------------------===//
#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Transforms/Passes.h"

#include "attn/TargetInfo/TargetDescription.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::attn;

LogicalResult mlir::attn::gpuChipFor(StringRef target, std::string &chip,
                                     std::string &features) {
  // PTX 8.0 is the first with sm_90a; CUDA 12+ drivers take it for sm_80 too.
  features = "+ptx80";
  // A preset name or a target description file: its SM version decides.
  std::string error;
  std::optional<::attn::target::TargetDescription> t =
      ::attn::target::resolveTarget(target.str(), error);
  if (!t)
    return failure();
  if (t->smVersion == 80) {
    chip = "sm_80";
    return success();
  }
  if (t->smVersion == 90) {
    chip = "sm_90a";
    return success();
  }
  return failure();
}

void mlir::attn::buildAttnToGPUPipeline(OpPassManager &pm,
                                        const AttnToGPUOptions &opts) {
  AttnSelectionOptions selection;
  selection.target = opts.target;
  selection.chunkSize = opts.chunkSize;
  buildAttnSelectionPipeline(pm, selection);

  AttnLowerToGPUOptions lower;
  lower.targetName = opts.target;
  lower.blockV = opts.blockV;
  lower.stateRows = opts.stateRows;
  lower.fuseOutputs = opts.fuseOutputs;
  lower.splitState = opts.splitState;
  lower.wgmma = opts.wgmma;
  lower.splitDelta = opts.splitDelta;
  lower.splitVectorGate = opts.splitVectorGate;
  lower.splitCpAsync = opts.splitCpAsync;
  pm.addPass(createAttnLowerToGPU(lower));

  GpuNVVMAttachTargetOptions attach;
  // An unknown target was reported by attn-lower-to-gpu already.
  if (failed(gpuChipFor(opts.target, attach.chip, attach.features)))
    attach.chip = opts.target;
  attach.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(attach));

  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createSCFToControlFlowPass());
  kernels.addPass(createConvertNVGPUToNVVMPass());
  ConvertGpuOpsToNVVMOpsOptions toNVVM;
  toNVVM.useBarePtrCallConv = true;
  kernels.addPass(createConvertGpuOpsToNVVMOps(toNVVM));
  kernels.addPass(createAttnExternDynamicSharedMemory());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());

  if (opts.toBinary) {
    GpuModuleToBinaryPassOptions binary;
    binary.compilationTarget = "isa";
    pm.addPass(createGpuModuleToBinaryPass(binary));
  }
}

void mlir::attn::registerAttnGPUPipeline() {
  static bool registered = false;
  if (registered)
    return;
  registered = true;
  PassPipelineRegistration<AttnToGPUOptions>(
      "attn-to-gpu",
      "attn -> tensor-core GPU kernels (mma.sync) -> NVVM -> PTX, with the "
      "launch manifest in the module attribute attn.gpu_manifests",
      buildAttnToGPUPipeline);
}
