//===- CPUVectorizeContractions.cpp - register-tiled vector contractions --===//
//
// Each bufferized contraction C[..., m, n] (+|-)= sum_k A[..., m, k] B[..., k, n]
// becomes a register-tiled kernel in the vector dialect: a tile of MR rows by
// NV vectors of C stays in registers for the whole k loop, and each k step
// loads NV vectors of B's row, broadcasts MR scalars of A's column and issues
// MR * NV fused multiply-adds (an outer-product update). MR and NV come from
// the target's vector width and register count. Edge tiles have fewer rows,
// and the last vector of a row is masked when the vector width does not
// divide N. A B read along k (a transposed operand, as in Q K^T) is first
// packed into an f32 [K, N] buffer, transposed in blocks of vector width.
// Each output still sums its k terms in order.
//
//===----------------------------------------------------------------------===//
#include "CPUContractionMatch.h"
#include "CPUVectorEmitter.h"

#include "attn/Conversion/AttnToCPU/AttnToCPU.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCPUVECTORIZECONTRACTIONS
#include "attn/Conversion/AttnToCPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Register tile shape for a vector width and register count.
struct TileShape {
  int64_t rows;    // MR
  int64_t vectors; // NV
};

TileShape chooseTile(int64_t numVectorsInRow, int64_t rowsInC,
                     int64_t registers) {
  // Per k step the tile needs MR * NV accumulators, NV vectors of B and a
  // broadcast, all in registers, with room for LLVM to unroll the k loop
  // (a second set of B vectors): without it, it spills accumulators.
  int64_t maxVectors = registers >= 32 ? 4 : 2;
  int64_t nv = std::min(numVectorsInRow, maxVectors);
  int64_t budget = registers - 2 * nv - 1;
  int64_t mr = std::clamp<int64_t>(budget / nv, 1, 8);
  return {std::min(mr, std::max<int64_t>(rowsInC, 1)), nv};
}

/// Where a buffer the kernel needs is allocated: before the outermost
/// ancestor of `op` in the closest function or parallel loop body (whose
/// iterations become OpenMP tasks, each in its own allocation scope). No
/// sequential loop then allocates it again on every iteration: scf.for is
/// an allocation scope in name only, its lowering does not restore the
/// stack.
Operation *allocationAnchor(Operation *op) {
  Operation *anchor = op;
  for (Operation *parent = op->getParentOp(); parent;
       parent = parent->getParentOp()) {
    if (isa<FunctionOpInterface, scf::ForallOp, scf::ParallelOp>(parent))
      break;
    anchor = parent;
  }
  return anchor;
}

class ContractionKernel : public CPUVectorEmitter {
public:
  ContractionKernel(OpBuilder &b, CPUContraction c, CPUVectorShape shape)
      : CPUVectorEmitter(b, c.op.getLoc(), shape.lanes, c.ranges.size()),
        c(c), registers(shape.registers) {
    maps = c.op.getIndexingMapsArray();
    aMem = c.op.getDpsInputs()[c.aInput];
    bMem = c.op.getDpsInputs()[c.bInput];
    cMem = c.op.getDpsInits()[0];
    vecType = VectorType::get({vw}, b.getF32Type());
  }

  void emit();

private:
  void emitBatch(unsigned i);
  void emitPack();
  void emitRows();
  void emitColumns(Value m0, int64_t rows);
  void emitTile(Value m0, int64_t rows, Value n0, int64_t vectors,
                int64_t lastLanes);
  Value loadB(Value n, int64_t lanes);

  CPUContraction c;
  int64_t registers;
  SmallVector<AffineMap> maps;
  Value aMem, bMem, cMem;
  Value packed; // f32 [K, N] when c.packB
  VectorType vecType;
};

void ContractionKernel::emit() {
  if (c.packB) {
    // f32 [K, N], allocated once where no sequential loop repeats it. On
    // the heap: a stack buffer inside an OpenMP task needs an
    // alloca_scope, which the SCF-to-CF lowering cannot keep.
    int64_t K = c.extent(c.k), N = c.extent(c.n);
    auto type = MemRefType::get({K, N}, b.getF32Type());
    OpBuilder::InsertionGuard guard(b);
    Operation *anchor = allocationAnchor(c.op);
    b.setInsertionPoint(anchor);
    packed = memref::AllocOp::create(b, loc, type, b.getI64IntegerAttr(64));
    b.setInsertionPointAfter(anchor);
    memref::DeallocOp::create(b, loc, packed);
  }
  emitBatch(0);
}

void ContractionKernel::emitBatch(unsigned i) {
  if (i == c.batch.size()) {
    if (c.packB)
      emitPack();
    emitRows();
    return;
  }
  unsigned d = c.batch[i];
  forLoop(0, c.ranges[d], 1, [&](Value iv) {
    dims[d] = iv;
    emitBatch(i + 1);
  });
}

/// Transposes the vw x vw block whose rows are `rows`, in registers: a
/// transpose swaps bit b of the row index with bit b of the column index for
/// every bit, and each stage below does one bit for all rows at once with
/// two-source shuffles (vw / 2 pairs of rows per stage, log2(vw) stages).
static void transposeInRegisters(OpBuilder &b, Location loc,
                                 MutableArrayRef<Value> rows) {
  int64_t vw = rows.size();
  for (int64_t d = vw / 2; d >= 1; d /= 2) {
    SmallVector<int64_t> lowMask(vw), highMask(vw);
    for (int64_t j = 0; j < vw; ++j) {
      bool bitSet = (j & d) != 0;
      lowMask[j] = bitSet ? vw + j - d : j;
      highMask[j] = bitSet ? vw + j : j + d;
    }
    for (int64_t i = 0; i < vw; ++i) {
      if (i & d)
        continue;
      Value lo = rows[i], hi = rows[i + d];
      rows[i] = vector::ShuffleOp::create(b, loc, lo, hi, lowMask);
      rows[i + d] = vector::ShuffleOp::create(b, loc, lo, hi, highMask);
    }
  }
}

/// packed[k, n] = B[..., n, ..., k]. Blocks of vw x vw elements are read as
/// vw vectors along k, transposed in registers and written as vw vectors
/// along n; the ragged edges (N or K not a multiple of vw) element by
/// element.
void ContractionKernel::emitPack() {
  int64_t K = c.extent(c.k), N = c.extent(c.n);
  int64_t fullN = N / vw * vw, fullK = K / vw * vw;
  AffineMap bMap = maps[c.bInput];
  if (fullN > 0 && fullK > 0)
    forLoop(0, fullN, vw, [&](Value n0) {
      forLoop(0, fullK, vw, [&](Value k0) {
        dims[c.k] = k0;
        SmallVector<Value> rows;
        for (int64_t i = 0; i < vw; ++i) {
          dims[c.n] = plus(n0, i);
          rows.push_back(toF32(loadVector(bMem, indices(bMap), vw)));
        }
        transposeInRegisters(b, loc, rows);
        for (int64_t j = 0; j < vw; ++j)
          vector::StoreOp::create(b, loc, rows[j], packed,
                                  ValueRange{plus(k0, j), n0});
      });
    });
  // The ragged edges: n in [nBegin, nEnd), k in [kBegin, K).
  auto copyElements = [&](int64_t nBegin, int64_t nEnd, int64_t kBegin) {
    forLoop(nBegin, nEnd, 1, [&](Value n) {
      forLoop(kBegin, K, 1, [&](Value k) {
        dims[c.n] = n;
        dims[c.k] = k;
        Value x = memref::LoadOp::create(b, loc, bMem, indices(bMap));
        memref::StoreOp::create(b, loc, toF32(x), packed, ValueRange{k, n});
      });
    });
  };
  copyElements(fullN, N, 0);
  copyElements(0, fullN, fullK);
}

void ContractionKernel::emitRows() {
  int64_t M = c.extent(c.m), N = c.extent(c.n);
  TileShape tile = chooseTile((N + vw - 1) / vw, M, registers);
  int64_t full = M / tile.rows * tile.rows;
  if (full > 0)
    forLoop(0, full, tile.rows, [&](Value m0) { emitColumns(m0, tile.rows); });
  if (full < M)
    emitColumns(index(full), M - full);
}

void ContractionKernel::emitColumns(Value m0, int64_t rows) {
  int64_t N = c.extent(c.n);
  int64_t vectorsInRow = (N + vw - 1) / vw;
  TileShape tile = chooseTile(vectorsInRow, rows, registers);
  int64_t width = tile.vectors * vw;
  int64_t full = N / width * width;
  if (full > 0)
    forLoop(0, full, width, [&](Value n0) {
      emitTile(m0, rows, n0, tile.vectors, vw);
    });
  if (full < N) {
    int64_t rest = N - full;
    int64_t lastLanes = rest % vw == 0 ? vw : rest % vw;
    emitTile(m0, rows, index(full), (rest + vw - 1) / vw, lastLanes);
  }
}

Value ContractionKernel::loadB(Value n, int64_t lanes) {
  if (c.packB)
    return loadVector(packed, ValueRange{dims[c.k], n}, lanes);
  dims[c.n] = n;
  return toF32(loadVector(bMem, indices(maps[c.bInput]), lanes));
}

void ContractionKernel::emitTile(Value m0, int64_t rows, Value n0,
                                 int64_t vectors, int64_t lastLanes) {
  auto lanesOf = [&](int64_t j) { return j + 1 == vectors ? lastLanes : vw; };
  auto setRow = [&](int64_t r) {
    if (c.m != CPUContraction::kNone)
      dims[c.m] = plus(m0, r);
  };
  // The tile of C, one vector per (row, j): loaded, or the fill value C
  // was just set to.
  SmallVector<Value> acc;
  Value initial;
  if (c.initFill)
    initial = vector::BroadcastOp::create(b, loc, vecType,
                                          c.initFill.getInputs()[0]);
  for (int64_t r = 0; r < rows; ++r) {
    setRow(r);
    for (int64_t j = 0; j < vectors; ++j) {
      dims[c.n] = plus(n0, j * vw);
      acc.push_back(initial ? initial
                            : loadVector(cMem, indices(maps[2]), lanesOf(j)));
    }
  }
  auto loop = scf::ForOp::create(b, loc, index(0), index(c.extent(c.k)),
                                 index(1), acc);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    dims[c.k] = loop.getInductionVar();
    ValueRange iter = loop.getRegionIterArgs();
    SmallVector<Value> bRow;
    for (int64_t j = 0; j < vectors; ++j)
      bRow.push_back(loadB(plus(n0, j * vw), lanesOf(j)));
    SmallVector<Value> next;
    for (int64_t r = 0; r < rows; ++r) {
      setRow(r);
      Value a = toF32(
          memref::LoadOp::create(b, loc, aMem, indices(maps[c.aInput])));
      if (c.subtract)
        a = arith::NegFOp::create(b, loc, a);
      Value splat = vector::BroadcastOp::create(b, loc, vecType, a);
      for (int64_t j = 0; j < vectors; ++j)
        next.push_back(vector::FMAOp::create(b, loc, splat, bRow[j],
                                             iter[r * vectors + j]));
    }
    scf::YieldOp::create(b, loc, next);
  }
  dims[c.k] = Value();
  for (int64_t r = 0; r < rows; ++r) {
    setRow(r);
    for (int64_t j = 0; j < vectors; ++j) {
      dims[c.n] = plus(n0, j * vw);
      storeVector(loop.getResult(r * vectors + j), cMem, indices(maps[2]),
                  lanesOf(j));
    }
  }
}

struct AttnCPUVectorizeContractionsPass
    : public mlir::attn::impl::AttnCPUVectorizeContractionsBase<
          AttnCPUVectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    FailureOr<CPUVectorShape> shape = resolveCPUVectorShape(
        getOperation(), targetName, getArgument());
    if (failed(shape))
      return signalPassFailure();

    SmallVector<CPUContraction> matches;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (std::optional<CPUContraction> c = matchCPUContraction(op))
        matches.push_back(*c);
    });
    IRRewriter rewriter(&getContext());
    for (const CPUContraction &c : matches) {
      rewriter.setInsertionPoint(c.op);
      ContractionKernel(rewriter, c, *shape).emit();
      rewriter.eraseOp(c.op);
      if (c.initFill)
        rewriter.eraseOp(c.initFill);
    }
  }
};

} // namespace
