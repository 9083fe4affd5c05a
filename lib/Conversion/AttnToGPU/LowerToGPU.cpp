//===- LowerToGPU.cpp - attn functions -> GPU kernels + launch manifest ---===//
#include "GpuProblem.h"
#include "Kernels.h"

#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/TargetInfo/TargetDescription.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERTOGPU
#include "attn/Conversion/AttnToGPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

namespace {

StringRef dtypeName(Type t) {
  if (t.isBF16())
    return "bf16";
  if (t.isF16())
    return "f16";
  if (t.isF32())
    return "f32";
  if (t.isInteger(32))
    return "i32";
  return "unknown";
}

/// The single attn op of a kernel function, or an error on the function.
FailureOr<AttentionOpInterface> kernelOp(func::FuncOp fn) {
  Operation *grad = nullptr;
  fn.walk([&](Operation *op) {
    if (isa<LinearAttentionGradOp, GatedLinearAttentionGradOp,
            SoftmaxAttentionGradOp, DeltaRuleGradOp>(op))
      grad = op;
  });
  if (grad)
    return grad->emitOpError()
           << "has no GPU kernels yet: gradients run on the CPU targets";
  SmallVector<AttentionOpInterface> ops;
  fn.walk([&](AttentionOpInterface op) { ops.push_back(op); });
  if (ops.empty())
    return AttentionOpInterface();
  auto fail = [&]() {
    return fn.emitError()
           << "attn-lower-to-gpu: a GPU kernel function must hold exactly "
              "one attn op on its arguments and return its results";
  };
  if (ops.size() != 1 || !fn.getBody().hasOneBlock())
    return fail();
  Block &body = fn.getBody().front();
  if (body.getOperations().size() != 2)
    return fail();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  Operation *op = ops.front().getOperation();
  for (Value v : op->getOperands())
    if (!isa<BlockArgument>(v))
      return fail();
  if (!ret)
    return fail();
  for (Value v : ret.getOperands())
    if (v.getDefiningOp() != op)
      return fail();
  return ops.front();
}

/// One kernel of an op's launch sequence.
struct KernelSpec {
  std::string suffix; // entry = <function>_<suffix>kernel
  std::array<int64_t, 3> grid;
  void (*emit)(KernelBuilder &, const GpuProblem &, const KernelArgs &);
  std::string what; // for people: the manifest's launch "what"
  int64_t threads = kDefaultThreads; // of a block
  int64_t sharedBytes = 0;
};

std::string softmaxVariant(const GpuProblem &p) {
  if (p.softmaxUsesWgmma())
    return llvm::formatv("softmax, warpgroup MMA (wgmma): two warpgroups "
                         "share {0} query rows' key blocks of {1}, by "
                         "cp.async (3 buffers)",
                         p.softmaxBlockRows(), p.chunk);
  return llvm::formatv("softmax, mma.sync: 4 warps of {0} query rows, key "
                       "blocks of {1}",
                       p.softmaxWarpRows(), p.chunk);
}

/// The kernels of `p` in launch order.
SmallVector<KernelSpec> kernelsOf(const GpuProblem &p) {
  if (p.softmax)
    return {{"", p.grid(), emitSoftmaxKernel, softmaxVariant(p),
             p.softmaxThreads()}};
  std::string chunks = llvm::formatv("{0} chunks of {1}", p.numChunks(),
                                     p.chunk);
  KernelSpec prep = {"prep_",
                     {p.numChunks(), p.B * p.Hq, 1},
                     emitDeltaPrepKernel,
                     (p.splitsState() ? "delta rule UT transform, W and U: "
                                      : "delta rule UT transform: ") +
                         ("parallel over " + chunks)};
  if (p.fusesOutputs() && p.delta)
    return {prep,
            {"", p.stateGrid(), emitLinearStatesKernel,
             llvm::formatv("delta rule state pass with outputs (cp.async, 2 "
                           "buffers): sequential over {0}, {1} x {2} state "
                           "slices in mma accumulators",
                           chunks, p.stateRows, p.stateBlockV)}};
  if (p.fusesOutputs())
    return {{"", p.stateGrid(), emitLinearStateOutputsKernel,
             llvm::formatv("state pass with outputs (cp.async, a ring of "
                           "{0} chunks): sequential over {1}, {2} x {3} "
                           "state slices in mma accumulators",
                           p.stateStages, chunks, p.stateRows,
                           p.stateBlockV)}};
  if (p.splitsState()) {
    std::array<int64_t, 3> outputs = {
        (p.Dv + p.outputBlockV() - 1) / p.outputBlockV(), p.B * p.Hq,
        p.numChunks()};
    std::array<int64_t, 3> states = p.stateGrid();
    std::string stateSlices = llvm::formatv(
        "sequential over {0}, {1} x {2} state slices in mma accumulators",
        chunks, p.stateRows, p.stateBlockV);
    std::string outputBlocks =
        llvm::formatv("parallel over {0}, {1} value columns a block", chunks,
                      p.outputBlockV());
    bool vector = p.gate == GateKind::Vector;
    KernelSpec statePass = {
        "states_", states, vector ? emitGlaStatesKernel : emitLinearStatesKernel,
        (vector ? "GLA split form, state pass: " : "split form, state pass: ") +
            stateSlices};
    if (p.splitCpAsync && !p.delta)
      // Linear, scalar- and vector-gated attention with cp.async tile loads
      // (the delta rule's state pass has its own).
      statePass = {"states_", states, emitLinearStatesAsyncKernel,
                   llvm::formatv("{0}split form (cp.async, a ring of {1} "
                                 "chunks), state pass: ",
                                 vector ? "GLA " : "", p.stateStages)
                           .str() +
                       stateSlices};
    if (vector)
      return {statePass,
              {"", outputs, emitGlaOutputKernel,
               "GLA split form, outputs (scores by 16-row sub-blocks): " +
                   outputBlocks}};
    KernelSpec outputPass = {"", outputs, emitLinearOutputKernel,
                             "split form, outputs: " + outputBlocks};
    if (p.splitCpAsync)
      outputPass = {"", outputs, emitLinearOutputAsyncKernel,
                    "split form (cp.async), outputs: " + outputBlocks};
    if (p.delta)
      return {prep, statePass, outputPass};
    return {statePass, outputPass};
  }
  KernelSpec fused{"", p.grid(), emitLinearFamilyKernel,
                   llvm::formatv("fused chunkwise: sequential over {0}, "
                                 "{1} x {2} state slices in shared memory",
                                 chunks, p.Dk, p.blockV)};
  if (!p.delta)
    return {fused};
  // The delta rule: the UT transform of every chunk in parallel first.
  return {prep, fused};
}

DictionaryAttr buildManifest(OpBuilder &b, StringRef name, StringRef target,
                             const GpuProblem &p,
                             ArrayRef<KernelSpec> kernels) {
  auto str = [&](StringRef s) { return b.getStringAttr(s); };
  auto i64s = [&](ArrayRef<int64_t> v) {
    SmallVector<Attribute> a;
    for (int64_t x : v)
      a.push_back(b.getI64IntegerAttr(x));
    return b.getArrayAttr(a);
  };
  StringRef gate = p.gate == GateKind::Scalar   ? "scalar"
                   : p.gate == GateKind::Vector ? "vector"
                                                : "none";
  NamedAttrList attrs;
  attrs.append("scale", b.getF64FloatAttr(p.scale));
  attrs.append("causal", b.getBoolAttr(p.causal));
  attrs.append("window", b.getI64IntegerAttr(p.window));
  attrs.append("feature_map", str(stringifyFeatureMap(p.featureMap)));
  attrs.append("normalize", b.getBoolAttr(false));
  attrs.append("gate", str(gate));
  attrs.append("chunk_size", b.getI64IntegerAttr(p.chunk));
  if (!p.softmax)
    attrs.append("block_v", b.getI64IntegerAttr(p.blockV));

  SmallVector<Attribute> buffers;
  SmallVector<int64_t> argIndices;
  for (auto [i, buf] : llvm::enumerate(p.allBuffers())) {
    NamedAttrList e;
    e.append("name", str(buf.name));
    e.append("role", str(buf.role == BufferRole::Input    ? "input"
                         : buf.role == BufferRole::Output ? "output"
                                                          : "scratch"));
    e.append("dtype", str(dtypeName(buf.type.getElementType())));
    e.append("shape", i64s(buf.type.getShape()));
    buffers.push_back(e.getDictionary(b.getContext()));
    argIndices.push_back(i);
  }
  SmallVector<Attribute> launches;
  for (const KernelSpec &k : kernels) {
    NamedAttrList launch;
    launch.append("entry", str((name + "_" + k.suffix + "kernel").str()));
    launch.append("grid", i64s(k.grid));
    launch.append("block", i64s({k.threads, 1, 1}));
    launch.append("shared_bytes", b.getI64IntegerAttr(k.sharedBytes));
    launch.append("args", i64s(argIndices));
    launch.append("what", str(k.what));
    launches.push_back(launch.getDictionary(b.getContext()));
  }

  NamedAttrList m;
  m.append("format", str("attn-gpu-kernel/1"));
  m.append("name", str(name));
  m.append("op", str(p.opName()));
  std::string chip, features;
  if (failed(gpuChipFor(target, chip, features)))
    chip = target.str(); // checked by the pass before any kernel is built
  m.append("target", str(chip));
  m.append("ptx", str((name + ".ptx").str()));
  m.append("attributes", attrs.getDictionary(b.getContext()));
  m.append("buffers", b.getArrayAttr(buffers));
  m.append("launches", b.getArrayAttr(launches));
  return m.getDictionary(b.getContext());
}

struct AttnLowerToGPUPass
    : public mlir::attn::impl::AttnLowerToGPUBase<AttnLowerToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    std::string error;
    std::optional<::attn::target::TargetDescription> target =
        ::attn::target::resolveTarget(targetName, error);
    if (!target && StringRef(targetName).ends_with(".json")) {
      module.emitError() << "attn-lower-to-gpu: target description " << error;
      return signalPassFailure();
    }
    std::string chip, features;
    if (!target || failed(gpuChipFor(targetName, chip, features))) {
      module.emitError() << "attn-lower-to-gpu: '" << targetName
                         << "' is not a GPU target (use sm_80 or sm_90)";
      return signalPassFailure();
    }
    if (blockV != 0 && blockV != 16 && blockV != 32 && blockV != 64) {
      module.emitError() << "attn-lower-to-gpu: block-v must be 0, 16, 32 "
                            "or 64, got "
                         << static_cast<int64_t>(blockV);
      return signalPassFailure();
    }
    if (stateRows != 0 && stateRows != 64 && stateRows != 128) {
      module.emitError() << "attn-lower-to-gpu: state-rows must be 0, 64 "
                            "or 128, got "
                         << static_cast<int64_t>(stateRows);
      return signalPassFailure();
    }
    std::optional<GpuProblem::Fusion> fusion =
        llvm::StringSwitch<std::optional<GpuProblem::Fusion>>(fuseOutputs)
            .Case("auto", GpuProblem::Fusion::Auto)
            .Case("on", GpuProblem::Fusion::On)
            .Case("off", GpuProblem::Fusion::Off)
            .Default(std::nullopt);
    if (!fusion) {
      module.emitError() << "attn-lower-to-gpu: fuse-outputs must be auto, "
                            "on or off, got '"
                         << fuseOutputs << "'";
      return signalPassFailure();
    }
    NamedAttrList manifests;
    if (auto old = module->getAttrOfType<DictionaryAttr>("attn.gpu_manifests"))
      manifests.append(old.getValue());

    SmallVector<func::FuncOp> fns(module.getOps<func::FuncOp>());
    for (func::FuncOp fn : fns) {
      FailureOr<AttentionOpInterface> op = kernelOp(fn);
      if (failed(op))
        return signalPassFailure();
      if (!*op)
        continue;
      Block &body = fn.getBody().front();
      FailureOr<GpuProblem> problem =
          GpuProblem::describe(*op, body.getArguments(),
                               body.getTerminator()->getOperands());
      if (failed(problem))
        return signalPassFailure();
      problem->splitState = splitState;
      problem->smVersion = target->smVersion;
      problem->wgmma = wgmma;
      problem->splitDelta = splitDelta;
      problem->splitVectorGate = splitVectorGate;
      problem->splitCpAsync = splitCpAsync;
      problem->fuseOutputs = *fusion;
      problem->chooseBlockV(target->parallelUnits, blockV, stateRows);
      problem->chooseStateStages(target->parallelUnits,
                                 target->smemBytesPerUnit);
      FailureOr<DictionaryAttr> manifest =
          buildKernel(module, fn, *problem, target->smemBytesPerUnit);
      if (failed(manifest))
        return signalPassFailure();
      manifests.set(fn.getSymName(), *manifest);
      fn.erase();
    }
    if (manifests.empty())
      return;
    OpBuilder b(module.getContext());
    module->setAttr("attn.gpu_manifests",
                    manifests.getDictionary(module.getContext()));
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    b.getUnitAttr());
  }

  /// Emits the gpu.module, shrinking the chunk until shared memory fits.
  FailureOr<DictionaryAttr> buildKernel(ModuleOp module, func::FuncOp fn,
                                        GpuProblem p, int64_t smemLimit) {
    std::string name = fn.getSymName().str();
    Location loc = fn.getLoc();
    OpBuilder b(module.getContext());
    b.setInsertionPointAfter(fn);
    while (true) {
      auto gpuModule = gpu::GPUModuleOp::create(b, loc, name + "_gpu");
      OpBuilder mb = OpBuilder::atBlockBegin(gpuModule.getBody());
      SmallVector<BufferSpec> buffers = p.allBuffers();
      SmallVector<Type> argTypes;
      for (const BufferSpec &buf : buffers)
        argTypes.push_back(buf.type);
      SmallVector<KernelSpec> kernels = kernelsOf(p);
      int64_t bytes = 0;
      for (KernelSpec &spec : kernels) {
        auto kernel = gpu::GPUFuncOp::create(
            mb, loc, name + "_" + spec.suffix + "kernel",
            mb.getFunctionType(argTypes, {}));
        kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                        mb.getUnitAttr());
        kernel.setKnownBlockSizeAttr(
            mb.getDenseI32ArrayAttr({(int32_t)spec.threads, 1, 1}));
        OpBuilder kbuilder =
            OpBuilder::atBlockBegin(&kernel.getBody().front());
        auto wg = gpu::AddressSpaceAttr::get(b.getContext(),
                                             gpu::AddressSpace::Workgroup);
        Value smem = gpu::DynamicSharedMemoryOp::create(
            kbuilder, loc,
            MemRefType::get({ShapedType::kDynamic}, kbuilder.getI8Type(),
                            MemRefLayoutAttrInterface{}, wg));
        KernelArgs args;
        for (auto [i, buf] : llvm::enumerate(buffers))
          args[buf.name] = kernel.getArgument(i);
        KernelBuilder kb(kbuilder, loc, smem, spec.threads);
        spec.emit(kb, p, args);
        gpu::ReturnOp::create(kbuilder, loc);
        spec.sharedBytes = kb.sharedBytes();
        bytes = std::max(bytes, spec.sharedBytes);
      }
      if (bytes <= smemLimit) {
        // The gpu.module takes the function's name once the function is gone.
        gpuModule.setSymName(name);
        return buildManifest(b, name, targetName, p, kernels);
      }
      gpuModule.erase();
      if (p.chunk <= 16)
        return fn.emitError()
               << "attn-lower-to-gpu: the kernel needs " << bytes
               << " bytes of shared memory even with chunk 16; " << targetName
               << " allows " << smemLimit;
      p.chunk /= 2;
    }
  }
};

} // namespace
