//===- CPUPipelines.cpp - the attn-to-cpu pipelines -----------------------===//
#include "attn/Conversion/AttnToCPU/AttnToCPU.h"

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
/// pipeline shares once no attn op is left. With `parallel`, scf.forall
/// loops (from attn-parallelize-heads) become OpenMP worksharing loops.
static void addBufferizeAndLowerToLLVM(OpPassManager &pm,
                                       bool resultsToOutParams,
                                       bool parallel = false,
                                       unsigned unrollJam = 4,
                                       StringRef target = "x86-avx512",
                                       bool prefetch = true) {
  pm.addPass(createCanonicalizerPass());
  // A result computed into a tensor.empty and then inserted into a larger
  // tensor (each head's output into the whole output) is computed in place.
  addUpstream(pm, "eliminate-empty-tensors");
  addUpstream(pm, "one-shot-bufferize{bufferize-function-boundaries "
                  "function-boundary-type-conversion=identity-layout-map}");
  // Per-chunk temporaries are allocated once, outside the sequential loops
  // (not outside parallel ones: each thread needs its own). Writing a
  // slice in place leaves copies of a view onto an identical view, which
  // CSE and canonicalization remove.
  addUpstream(pm, "func.func(buffer-loop-hoisting),cse,canonicalize");
  if (resultsToOutParams)
    addUpstream(pm, "buffer-results-to-out-params{hoist-static-allocs "
                    "modify-public-functions}");
  // After the results became arguments: the output's rows are streamed too.
  if (prefetch)
    pm.addPass(createAttnCPUPrefetch());
  addUpstream(pm,
              "buffer-deallocation-pipeline,convert-bufferization-to-memref");
  // The heads' loop: OpenMP when parallel, a sequential loop otherwise.
  addUpstream(pm, parallel ? "scf-forall-to-parallel" : "scf-forall-to-for");
  // Contractions to register-tiled vector kernels, elementwise ops and
  // reductions to vector loops; contractions of another shape (dynamic
  // sizes) to register-blocked affine loops; the rest to plain loops.
  pm.addPass(createAttnCPUVectorizeContractions({target.str()}));
  pm.addPass(createAttnCPUVectorizeLoops({target.str()}));
  pm.addPass(createAttnCPUUnrollJam({unrollJam}));
  addUpstream(pm, "convert-linalg-to-loops");
  // Exponentials as polynomials, so that the loops around them vectorize.
  pm.addPass(createAttnCPUApproximateMath());
  // convert-scf-to-openmp wraps each iteration in a memref.alloca_scope;
  // canonicalization inlines the scopes that hold no alloca before SCF
  // becomes multi-block CFG, which an alloca_scope cannot hold.
  if (parallel)
    addUpstream(pm, "convert-scf-to-openmp,canonicalize");
  addUpstream(pm, "expand-strided-metadata,lower-affine,"
                  "convert-scf-to-cf,arith-expand{include-bf16},"
                  "convert-vector-to-llvm,convert-math-to-llvm,convert-arith-to-llvm,"
                  "convert-index-to-llvm,finalize-memref-to-llvm,"
                  "convert-cf-to-llvm");
  if (parallel)
    addUpstream(pm, "convert-openmp-to-llvm");
  addUpstream(pm, "convert-func-to-llvm,reconcile-unrealized-casts");
}

void mlir::attn::buildAttnReferenceToLLVMPipeline(
    OpPassManager &pm, const AttnReferenceToLLVMOptions &opts) {
  pm.addPass(createAttnExpandGrad());
  pm.addPass(createAttnParallelizeHeads({/*groupedOnly=*/true}));
  pm.addPass(createAttnLowerToReference());
  addBufferizeAndLowerToLLVM(pm, opts.resultsToOutParams);
}

void mlir::attn::buildAttnToLLVMPipeline(OpPassManager &pm,
                                         const AttnToLLVMOptions &opts) {
  buildAttnSelectionPipeline(pm, opts);
  pm.addPass(createAttnParallelizeHeads({/*groupedOnly=*/true}));
  pm.addPass(createAttnLowerChunkwise());
  // What is left (recurrent, reassociated, softmax quadratic) is the
  // definitional form.
  pm.addPass(createAttnLowerToReference());
  addBufferizeAndLowerToLLVM(pm, opts.resultsToOutParams, /*parallel=*/false,
                             opts.unrollJam, opts.target, opts.prefetch);
}

void mlir::attn::buildAttnToCPUPipeline(OpPassManager &pm,
                                        const AttnToCPUOptions &opts) {
  buildAttnSelectionPipeline(pm, opts);
  // Selection sees the whole problem (B * H heads of parallel work); the
  // heads then become iterations of a parallel loop.
  pm.addPass(createAttnParallelizeHeads());
  pm.addPass(createAttnLowerChunkwise());
  pm.addPass(createAttnLowerToReference());
  addBufferizeAndLowerToLLVM(pm, opts.resultsToOutParams, /*parallel=*/true,
                             opts.unrollJam, opts.target, opts.prefetch);
}

void mlir::attn::registerAttnCPUPipelines() {
  // Registering a pipeline twice is a fatal error in assert builds, and an
  // embedder may call this from several places of its own set-up.
  static bool registered = false;
  if (registered)
    return;
  registered = true;
  PassPipelineRegistration<AttnToCPUOptions>(
      "attn-to-cpu",
      "The CPU pipeline: form and chunk selection, (batch, head) pairs as "
      "OpenMP-parallel iterations, the chosen forms, LLVM dialect",
      buildAttnToCPUPipeline);
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
