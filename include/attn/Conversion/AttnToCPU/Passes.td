//===- Passes.td - attn-to-cpu conversion passes -----------*- tablegen -*-===//
//
// The CPU code generator: passes on bufferized linalg/affine code that the
// attn-to-cpu pipelines run after the target-independent lowerings.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_CONVERSION_ATTNTOCPU_PASSES_TD
#define ATTN_CONVERSION_ATTNTOCPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnCPUUnrollJam : Pass<"attn-cpu-unroll-jam"> {
  let summary = "Register-block the contractions of bufferized linalg code";
  let description = [{
    Lowers every bufferized linalg.generic with one reduction dimension (the
    contractions of the attn lowerings) to affine loops and unroll-and-jams
    by `factor` the innermost parallel loop, other than the innermost loop,
    whose static extent is at least `factor`. The jammed copies share their
    operand loads: in C[i, j] += A[i, k] B[k, j] with j innermost (which LLVM
    vectorizes), four rows of C are updated from one load of B's row. On the
    2-core x86 machine this makes a 64^3 contraction 1.85x faster (63 -> 117
    GFLOP/s on one core). Other linalg ops, and contractions with dynamic
    sizes, are left alone.
  }];
  let options = [
    Option<"factor", "factor", "unsigned", /*default=*/"4",
           "Unroll-and-jam factor (1 leaves the loops alone)">
  ];
  let dependentDialects = ["::mlir::affine::AffineDialect"];
}

def AttnCPUVectorizeContractions : Pass<"attn-cpu-vectorize-contractions"> {
  let summary = "Register-tiled vector kernels for bufferized contractions";
  let description = [{
    Rewrites every bufferized `linalg.generic` that computes
    `C[..., m, n] (+|-)= sum_k A[..., m, k] * B[..., k, n]` (static sizes,
    one reduction, n contiguous in C; f32 accumulation of f32, f16 or bf16
    inputs) into a register-tiled kernel of vector-dialect ops: a tile of
    MR rows by NV vectors of C stays in registers over the whole k loop,
    and each step loads NV vectors of B's row, broadcasts MR elements of
    A's column and issues MR * NV `vector.fma`. The tile follows the target
    description (vector width and register count: 5 x 4 vectors of 16 f32
    on AVX-512, 5 x 2 vectors of 8 on AVX2, 8 rows for narrower C); edge tiles have fewer rows, and
    a row's last vector is masked when the width does not divide N. When B
    is read along k (a transposed operand, like K in Q K^T), it is first
    packed into an f32 [K, N] buffer. Each output sums its k terms in
    order. Contractions of another shape are left alone.
  }];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"x86-avx512\"",
           "CPU target description giving the vector width and register "
           "count (x86-avx512, x86-avx2)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def AttnCPUApproximateMath : Pass<"attn-cpu-approximate-math"> {
  let summary = "Replace f32 exponentials by a polynomial the loop vectorizer keeps";
  let description = [{
    Rewrites `math.exp` on f32 (scalars and vectors) into upstream MLIR's
    polynomial approximation: a range reduction by powers of two and a
    polynomial, built from arith ops only. A call to the C library's
    `expf` stops LLVM from vectorizing the loop around it; the
    approximation vectorizes with the rest of the loop body. Arguments
    below ln(2^-126) give 0 (exp(-inf) = 0 exactly, which masked scores
    and fully decayed states rely on; the true values there are
    subnormal), arguments above 88.7 saturate at 3.4e38 (the lowerings only
    exponentiate numbers <= 0 or differences of running maxima), NaN stays
    NaN, and the relative error is within a few ulp elsewhere.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def AttnCPUVectorizeLoops : Pass<"attn-cpu-vectorize-loops"> {
  let summary = "Vector loops for bufferized elementwise ops and reductions";
  let description = [{
    Rewrites bufferized `linalg.generic` ops with static sizes whose body is
    elementwise arith/math (plus `linalg.index`), and `linalg.fill`, into
    scf loops of vector-dialect ops of the target's width, instead of
    leaving their vectorization to LLVM (which gives up on loops whose
    buffers it cannot prove disjoint, and on reductions it may not
    reorder):

    * along the output's contiguous dimension: inputs varying along it are
      read as vectors (they must be contiguous along it too), the others as
      scalars and broadcast; reductions over other dimensions run as loops
      inside, carrying the output vector (each element sums in its order);
    * along the one reduced dimension when it is contiguous in the inputs
      and the output is not (row maxima, row sums): a vector accumulator and
      one horizontal reduction. Sums need the `reassoc` flag on their
      `arith.addf`; `arith.maximumf` and `arith.minimumf` are exact in any
      order.

    `linalg.index` of the vector dimension becomes a vector of lane
    indices; the last vector of a row is masked when the width does not
    divide it. Ops that read an input across its contiguous dimension
    (transposes), hold integer divisions, or have dynamic sizes are left
    alone, as are rows shorter than 4.
  }];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"x86-avx512\"",
           "CPU target description giving the vector width">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect"
  ];
}

def AttnCPUPrefetch : Pass<"attn-cpu-prefetch"> {
  let summary = "Prefetch the next iteration's slices of streamed buffers";
  let description = [{
    At the top of each iteration of every `scf.for` on buffers, prefetches
    the slices that the next iteration will read or write of every buffer
    the function was passed (a static-shaped `memref.subview` of a function
    argument, of at most 64 KiB, whose offsets the induction variable
    determines): one `memref.prefetch` per 64-byte cache line, as a write
    where the loop writes through the slice. The chunk loops walk q, k, v and
    o a chunk of rows at a time, each row a few cache lines at a stride of
    H * D elements, which hardware prefetchers follow poorly.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // ATTN_CONVERSION_ATTNTOCPU_PASSES_TD
