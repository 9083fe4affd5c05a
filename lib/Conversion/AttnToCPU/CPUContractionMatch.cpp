//===- CPUContractionMatch.cpp - contractions a vector kernel computes ----===//
#include "CPUContractionMatch.h"
#include "CPUVectorEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace mlir::attn;

namespace {

/// See matchCPUContraction.
constexpr int64_t kMinRowsToPack = 4;

/// `v` without an arith.extf to f32.
Value stripExtension(Value v) {
  if (auto ext = v.getDefiningOp<arith::ExtFOp>())
    return ext.getIn();
  return v;
}

/// Whether the body is `out (+|-) x * y` with {x, y} the two inputs (each
/// possibly extended to f32), and nothing else; sets `subtract`.
bool matchMulAccBody(linalg::GenericOp op, bool &subtract) {
  Block &body = op.getRegion().front();
  if (body.getNumArguments() != 3)
    return false;
  Value a = body.getArgument(0), b = body.getArgument(1),
        out = body.getArgument(2);
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Operation *acc = yield.getOperand(0).getDefiningOp();
  Value product;
  if (auto add = dyn_cast_or_null<arith::AddFOp>(acc)) {
    subtract = false;
    product = add.getLhs() == out ? add.getRhs() : add.getLhs();
    if (add.getLhs() != out && add.getRhs() != out)
      return false;
  } else if (auto sub = dyn_cast_or_null<arith::SubFOp>(acc)) {
    subtract = true;
    product = sub.getRhs();
    if (sub.getLhs() != out)
      return false;
  } else {
    return false;
  }
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul || mul->getBlock() != &body)
    return false;
  Value x = stripExtension(mul.getLhs()), y = stripExtension(mul.getRhs());
  if (!((x == a && y == b) || (x == b && y == a)))
    return false;
  // Nothing else: the extensions, the product, the accumulation, the yield.
  for (Operation &o : body.without_terminator())
    if (&o != mul && &o != acc &&
        !(isa<arith::ExtFOp>(o) && o.getResult(0).getType().isF32() &&
          (o.getOperand(0) == a || o.getOperand(0) == b)))
      return false;
  return out.getType().isF32() && mul.getType().isF32();
}

/// The linalg.fill right before `op` that writes op's output buffer, if `op`
/// writes every element of it (each dimension of C indexed by a loop of its
/// full extent, or is a unit dimension indexed by 0).
linalg::FillOp fillOverwrittenBy(linalg::GenericOp op, AffineMap cMap,
                                 ArrayRef<int64_t> ranges) {
  auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
  Value out = op.getDpsInits()[0];
  if (!fill || !fill.hasPureBufferSemantics() || fill.getOutputs()[0] != out ||
      !fill.getInputs()[0].getType().isF32())
    return {};
  auto type = cast<MemRefType>(out.getType());
  for (unsigned i = 0; i < cMap.getNumResults(); ++i) {
    std::optional<unsigned> d = mapResultDim(cMap, i);
    int64_t covered = (d && *d != CPUContraction::kNone) ? ranges[*d] : 1;
    if (!d || covered != type.getDimSize(i))
      return {};
  }
  return fill;
}

} // namespace

std::optional<CPUContraction>
mlir::attn::matchCPUContraction(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 1)
    return std::nullopt;
  CPUContraction c;
  c.op = op;
  if (!matchMulAccBody(op, c.subtract))
    return std::nullopt;
  c.ranges = op.getStaticLoopRanges();
  if (llvm::any_of(c.ranges, ShapedType::isDynamic))
    return std::nullopt;

  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // Which loop dimensions each operand uses.
  unsigned numLoops = op.getNumLoops();
  SmallVector<SmallVector<bool>> uses(3, SmallVector<bool>(numLoops, false));
  for (unsigned operand = 0; operand < 3; ++operand)
    for (unsigned i = 0; i < maps[operand].getNumResults(); ++i) {
      std::optional<unsigned> d = mapResultDim(maps[operand], i);
      if (!d)
        return std::nullopt;
      if (*d != CPUContraction::kNone)
        uses[operand][*d] = true;
    }

  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  for (unsigned d = 0; d < numLoops; ++d)
    if (iters[d] == utils::IteratorType::reduction)
      c.k = d;

  // n: C's innermost dimension, contiguous, a parallel loop.
  AffineMap cMap = maps[2];
  if (cMap.getNumResults() == 0 || !hasUnitInnermostStride(op.getDpsInits()[0]))
    return std::nullopt;
  std::optional<unsigned> n = mapResultDim(cMap, cMap.getNumResults() - 1);
  if (!n || *n == CPUContraction::kNone || *n == c.k)
    return std::nullopt;
  c.n = *n;

  // B is the one input that uses n; A must not.
  if (uses[0][c.n] == uses[1][c.n])
    return std::nullopt;
  c.bInput = uses[0][c.n] ? 0 : 1;
  c.aInput = 1 - c.bInput;
  Value bMem = op.getDpsInputs()[c.bInput];
  AffineMap bMap = maps[c.bInput];
  std::optional<unsigned> bInner = mapResultDim(bMap, bMap.getNumResults() - 1);
  if (!hasUnitInnermostStride(bMem) || !bInner)
    return std::nullopt;
  if (*bInner == c.k && uses[c.bInput][c.n])
    c.packB = true;
  else if (*bInner != c.n)
    return std::nullopt;

  // m: the innermost of C's other non-unit dimensions that B does not use
  // (a dimension B uses changes B's vectors from row to row: a batch loop).
  // Every parallel dimension must index C.
  for (int i = int(cMap.getNumResults()) - 2; i >= 0 && c.m == c.kNone; --i) {
    std::optional<unsigned> d = mapResultDim(cMap, i);
    if (d && *d != CPUContraction::kNone && c.ranges[*d] > 1 &&
        !uses[c.bInput][*d])
      c.m = *d;
  }
  for (unsigned d = 0; d < numLoops; ++d) {
    if (d == c.k || d == c.n || d == c.m || c.ranges[d] == 1)
      continue;
    if (!uses[2][d])
      return std::nullopt;
    c.batch.push_back(d);
  }
  // Packing B costs a pass over it; with a few rows of C (a decode step's
  // scores) that is as much as the product: such dot products along k are
  // better done as reductions (attn-cpu-vectorize-loops).
  if (c.packB && c.extent(c.m) < kMinRowsToPack)
    return std::nullopt;
  c.initFill = fillOverwrittenBy(op, cMap, c.ranges);
  return c;
}
