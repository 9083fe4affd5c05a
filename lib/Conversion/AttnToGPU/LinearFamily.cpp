//===- LinearFamily.cpp - what the linear-family GPU kernels share --------===//
#include "LinearFamily.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::gpu_codegen;

Value mlir::attn::gpu_codegen::featureMap(KernelBuilder &kb, Value x,
                                         FeatureMap fm) {
  switch (fm) {
  case FeatureMap::Identity:
    return x;
  case FeatureMap::Relu:
    return kb.fmax(x, kb.f32(0.0));
  case FeatureMap::EluPlusOne: {
    Value pos = arith::CmpFOp::create(kb.b(), kb.loc(),
                                      arith::CmpFPredicate::OGT, x, kb.f32(0));
    return kb.select(pos, kb.fadd(x, kb.f32(1.0)), kb.fexp(x));
  }
  case FeatureMap::Favor:
    // Needs the projection; GpuProblem::describe rejects it.
    break;
  }
  llvm_unreachable("feature map the GPU kernels do not take");
}

void LinearFamilyEmitter::bindBlock() {
  OpBuilder &b = kb.b();
  Location loc = kb.loc();
  Value bx = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  bindBatchHead(gpu::BlockIdOp::create(b, loc, gpu::Dimension::y));
  v0 = kb.mul(bx, kb.idx(BV));
}

void LinearFamilyEmitter::bindBatchHead(Value by) {
  bIdx = kb.div(by, kb.idx(p.Hq));
  hIdx = kb.rem(by, kb.idx(p.Hq));
  hkv = kb.div(hIdx, kb.idx(p.Hq / p.Hkv));
}

void LinearFamilyEmitter::loadQKV(Value t0) {
  // phi(q) scale, phi(k), and v's columns v0.. of the chunk's rows.
  loadQK(t0);
  loadRowsToTile(kb, vs, args.lookup("v"), bIdx, t0, hkv, v0, p.Tq);
}

void LinearFamilyEmitter::loadQK(Value t0) {
  Value zero = kb.idx(0);
  loadRowsToTile(kb, qs, args.lookup("q"), bIdx, t0, hIdx, zero, p.Tq,
                 [&](Value x) {
                   return kb.fmul(featureMap(kb, x, p.featureMap),
                                  kb.f32(p.scale));
                 });
  loadRowsToTile(kb, ks, args.lookup("k"), bIdx, t0, hkv, zero, p.Tq,
                 [&](Value x) { return featureMap(kb, x, p.featureMap); });
}

void LinearFamilyEmitter::cumulativeGate(Value t0) {
  // The in-chunk cumulative log-decay b_i = sum_{s <= i} g_s (g = 0 past T).
  // The chunk's gates are loaded in parallel first: a scan that loaded as
  // it went would wait on global memory at every step.
  Value g = args.lookup("g");
  Value zero = kb.idx(0);
  if (p.gate == GateKind::Vector) {
    loadRowsToTile(kb, gcum, g, bIdx, t0, hIdx, zero, p.Tq);
    kb.barrier();
    // One thread a column walks down the chunk in shared memory.
    kb.forRange(kb.threadId(), kb.idx(p.Dk), kThreads, [&](Value d) {
      scf::ForOp::create(
          kb.b(), kb.loc(), kb.idx(1), kb.idx(C), kb.idx(1),
          ValueRange{kb.load(gcum.mem, {zero, d})},
          [&](OpBuilder &, Location, Value i, ValueRange acc) {
            Value sum = kb.fadd(acc[0], kb.load(gcum.mem, {i, d}));
            kb.store(sum, gcum.mem, {i, d});
            scf::YieldOp::create(kb.b(), kb.loc(), sum);
          });
    });
    return;
  }
  loadRowScalarsToTile(kb, gcum, g, bIdx, t0, hIdx, p.Tq);
  kb.barrier();
  scanScalarGates();
}

void LinearFamilyEmitter::scanScalarGates() {
  // Warp 0 scans gcum's column in place: lane l owns k consecutive gates,
  // sums them, and a shuffle scan over the lanes' totals gives each lane its
  // offset.
  Value zero = kb.idx(0);
  int64_t k = std::max<int64_t>(C / 32, 1);
  Value lane = kb.laneId();
  kb.ifThen(arith::CmpIOp::create(kb.b(), kb.loc(), arith::CmpIPredicate::eq,
                                  kb.warpId(), zero),
            [&] {
              Value first = kb.mul(lane, kb.idx(k));
              Value active = kb.lt(first, kb.idx(C));
              SmallVector<Value> local;
              Value total = kb.f32(0.0);
              for (int64_t e = 0; e < k; ++e) {
                // Lanes past the chunk touch no gate: each gate is read and
                // written by its own lane only.
                auto read = scf::IfOp::create(
                    kb.b(), kb.loc(), TypeRange{kb.b().getF32Type()}, active,
                    /*withElseRegion=*/true);
                {
                  OpBuilder::InsertionGuard guard(kb.b());
                  kb.b().setInsertionPointToStart(read.thenBlock());
                  scf::YieldOp::create(
                      kb.b(), kb.loc(),
                      kb.load(gcum.mem, {kb.add(first, kb.idx(e)), zero}));
                  kb.b().setInsertionPointToStart(read.elseBlock());
                  scf::YieldOp::create(kb.b(), kb.loc(), kb.f32(0.0));
                }
                total = kb.fadd(total, read.getResult(0));
                local.push_back(total);
              }
              Value inclusive = total;
              for (int32_t offset = 1; offset < 32; offset *= 2) {
                Value up = gpu::ShuffleOp::create(kb.b(), kb.loc(), inclusive,
                                                  offset, 32,
                                                  gpu::ShuffleMode::UP)
                               .getShuffleResult();
                Value has = kb.le(kb.idx(offset), lane);
                inclusive =
                    kb.fadd(inclusive, kb.select(has, up, kb.f32(0.0)));
              }
              Value before = kb.fsub(inclusive, total);
              kb.ifThen(active, [&] {
                for (int64_t e = 0; e < k; ++e)
                  kb.store(kb.fadd(before, local[e]), gcum.mem,
                           {kb.add(first, kb.idx(e)), zero});
              });
            });
}

Value LinearFamilyEmitter::decayBetween(Value i, Value j) {
  if (p.gate == GateKind::None)
    return kb.f32(1.0);
  return kb.fexp(kb.fsub(gateAt(i), gateAt(j)));
}
