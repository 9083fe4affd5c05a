//===- attn-gpu-compile.cpp - attn functions -> PTX + launch manifests ----===//
//
// Runs the attn-to-gpu pipeline on a .mlir file and writes, for every
// function, NAME.ptx and NAME.json (the launch manifest the CUDA runtime in
// lib/Runtime/CUDA reads; docs/gpu-runtime.md describes it) into the output
// folder.
//
//   attn-gpu-compile model.mlir --target=sm_90 -o kernels/
//
//===----------------------------------------------------------------------===//
#include "attn/Conversion/AttnToGPU/GpuArtifacts.h"
#include "attn/Conversion/AttnToGPU/AttnToGPU.h"
#include "attn/Dialect/Attn/IR/Attn.h"
#include "attn/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory gpuCat("attn-gpu-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.mlir>"),
                                      cl::init("-"), cl::cat(gpuCat));
static cl::opt<std::string>
    outputDir("o", cl::desc("Folder for NAME.ptx and NAME.json (created)"),
              cl::value_desc("dir"), cl::Required,
              cl::cat(gpuCat));
static cl::opt<std::string> target("target",
                                   cl::desc("GPU target: sm_80 or sm_90"),
                                   cl::init("sm_90"), cl::cat(gpuCat));
static cl::opt<int64_t>
    chunkSize("chunk-size",
              cl::desc("Chunk / tile size (0: cost model, shrunk to fit "
                       "shared memory)"),
              cl::init(0), cl::cat(gpuCat));

static cl::opt<int64_t>
    blockV("block-v",
           cl::desc("Value columns per thread block of the linear-family "
                    "kernels (16, 32, 64; 0: chosen from the SM count)"),
           cl::init(0), cl::cat(gpuCat));

static cl::opt<int64_t> stateRows(
    "state-rows",
    cl::desc("Rows of Dk per block of linear and scalar-gated attention's "
             "state pass (64, or 128: all of Dk up to 128; 0: all of Dk "
             "where that gives half the SMs a block)"),
    cl::init(0), cl::cat(gpuCat));

static cl::opt<std::string> fuseOutputs(
    "fuse-outputs",
    cl::desc("The linear family's and the delta rules' state pass computes "
             "each chunk's outputs too (one kernel, no chunk-state round trip; "
             "Dk up to 128, no feature map): auto (where the grid fills the "
             "GPU), on or off"),
    cl::value_desc("auto|on|off"), cl::init("auto"), cl::cat(gpuCat));

static cl::opt<bool>
    splitState("split-state",
               cl::desc("Linear and scalar-gated attention as a state pass "
                        "and an output kernel parallel over chunks (false: "
                        "the fused kernel)"),
               cl::init(true), cl::cat(gpuCat));

static cl::opt<bool>
    wgmma("wgmma",
          cl::desc("On sm_90, the softmax kernel multiplies with warpgroup "
                   "MMA (wgmma.mma_async, bf16 inputs, head dim 128): two "
                   "warpgroups per 128 query rows, a block's softmax beside "
                   "the previous block's P V; not yet run on a GPU (the "
                   "one-warpgroup version was correct and 2.3x slower than "
                   "mma.sync on an H100); false: mma.sync everywhere"),
          cl::init(false), cl::cat(gpuCat));

static cl::opt<bool>
    splitDelta("split-delta",
               cl::desc("The delta rule in the split form too (with "
                        "--split-state): a state pass and an output kernel "
                        "parallel over chunks (false: the fused kernel)"),
               cl::init(true), cl::cat(gpuCat));

static cl::opt<bool> splitVectorGate(
    "split-vector-gate",
    cl::desc("With --split-state, vector-gated attention (GLA) in the split "
             "form too (false: the fused kernel)"),
    cl::init(true), cl::cat(gpuCat));

static cl::opt<bool> splitCpAsync(
    "split-cp-async",
    cl::desc("Linear and scalar-gated attention's split form loads its tiles "
             "by cp.async (state pass: a ring of 2-4 chunks in flight; output "
             "kernel: two commit groups; false: synchronous loads)"),
    cl::init(true), cl::cat(gpuCat));

static LogicalResult writeFile(StringRef path, StringRef text) {
  std::string err;
  auto out = openOutputFile(path, &err);
  if (!out) {
    llvm::errs() << "attn-gpu-compile: " << err << "\n";
    return failure();
  }
  out->os() << text;
  out->keep();
  return success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAllPasses();
  cl::HideUnrelatedOptions(gpuCat);
  cl::ParseCommandLineOptions(
      argc, argv,
      "attn-gpu-compile: attn functions -> PTX and launch manifests\n");

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  attn::registerAttnDialect(registry);
  MLIRContext context(registry);

  std::string err;
  auto file = openInputFile(inputFile, &err);
  if (!file) {
    llvm::errs() << "attn-gpu-compile: " << err << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  PassManager pm(&context);
  attn::AttnToGPUOptions opts;
  opts.target = target;
  opts.chunkSize = chunkSize;
  opts.blockV = blockV;
  opts.stateRows = stateRows;
  opts.fuseOutputs = fuseOutputs;
  opts.splitState = splitState;
  opts.wgmma = wgmma;
  opts.splitDelta = splitDelta;
  opts.splitVectorGate = splitVectorGate;
  opts.splitCpAsync = splitCpAsync;
  attn::buildAttnToGPUPipeline(pm, opts);
  if (failed(pm.run(*module)))
    return 1;

  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir)) {
    llvm::errs() << "attn-gpu-compile: cannot create '" << outputDir
                 << "': " << ec.message() << "\n";
    return 1;
  }
  FailureOr<SmallVector<attn::GpuKernelArtifact>> artifacts =
      attn::collectGpuArtifacts(*module);
  if (failed(artifacts))
    return 1;
  for (const attn::GpuKernelArtifact &a : *artifacts) {
    llvm::SmallString<256> ptxPath(outputDir), jsonPath(outputDir);
    llvm::sys::path::append(ptxPath, a.name + ".ptx");
    llvm::sys::path::append(jsonPath, a.name + ".json");
    if (failed(writeFile(ptxPath, a.ptx)) ||
        failed(writeFile(jsonPath, a.manifest)))
      return 1;
    llvm::outs() << a.name << ": " << ptxPath << ", " << jsonPath << "\n";
  }
  size_t written = artifacts->size();
  if (written == 0) {
    llvm::errs() << "attn-gpu-compile: '" << inputFile
                 << "' has no function with an attn op\n";
    return 1;
  }
  return 0;
}
