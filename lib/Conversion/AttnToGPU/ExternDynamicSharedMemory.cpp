//===- ExternDynamicSharedMemory.cpp - dynamic shared memory as .extern ---===//
#include "attn/Conversion/AttnToGPU/AttnToGPU.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNEXTERNDYNAMICSHAREDMEMORY
#include "attn/Conversion/AttnToGPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

struct AttnExternDynamicSharedMemoryPass
    : public mlir::attn::impl::AttnExternDynamicSharedMemoryBase<
          AttnExternDynamicSharedMemoryPass> {
  void runOnOperation() override {
    // Workgroup address space in NVVM.
    constexpr unsigned kShared = 3;
    for (auto global : getOperation().getOps<LLVM::GlobalOp>()) {
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getType());
      if (global.getAddrSpace() == kShared && array &&
          array.getNumElements() == 0)
        global.setLinkage(LLVM::Linkage::External);
    }
  }
};

} // namespace
