//===- JitInvoke.cpp - run a lowered function through the MLIR JIT ---------===//
#include "JitInvoke.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"

using namespace attn::run;

JitModule::~JitModule() = default;

llvm::Expected<std::unique_ptr<JitModule>>
JitModule::create(mlir::ModuleOp m) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto transformer = mlir::makeOptimizingTransformer(
      /*optLevel=*/3, /*sizeLevel=*/0, /*targetMachine=*/nullptr);
  // memref.copy of non-contiguous views calls into the C runner utilities.
  std::string runnerUtils =
      std::string(ATTN_MLIR_LIB_DIR) + "/libmlir_c_runner_utils.so";
  llvm::SmallVector<llvm::StringRef, 1> libs;
  if (llvm::sys::fs::exists(runnerUtils))
    libs.push_back(runnerUtils);
  mlir::ExecutionEngineOptions options;
  options.transformer = transformer;
  options.sharedLibPaths = libs;
  auto engine = mlir::ExecutionEngine::create(m, options);
  if (!engine)
    return engine.takeError();
  auto jit = std::unique_ptr<JitModule>(new JitModule());
  jit->engine = std::move(*engine);
  return jit;
}

llvm::Error JitModule::call(llvm::StringRef name,
                            std::vector<HostArray *> args) {
  // A ranked memref descriptor is {alloc ptr, aligned ptr, offset,
  // sizes[rank], strides[rank]}: all 8-byte fields, so an int64 array.
  std::vector<std::vector<int64_t>> descriptors;
  descriptors.reserve(args.size());
  for (HostArray *a : args) {
    std::vector<int64_t> d;
    auto ptr = reinterpret_cast<int64_t>(a->data());
    d.push_back(ptr);
    d.push_back(ptr);
    d.push_back(0);
    for (int64_t s : a->shape)
      d.push_back(s);
    int64_t stride = 1;
    std::vector<int64_t> strides(a->shape.size());
    for (int64_t i = static_cast<int64_t>(a->shape.size()) - 1; i >= 0; --i) {
      strides[i] = stride;
      stride *= a->shape[i];
    }
    d.insert(d.end(), strides.begin(), strides.end());
    descriptors.push_back(std::move(d));
  }
  std::vector<void *> descriptorPtrs;
  for (auto &d : descriptors)
    descriptorPtrs.push_back(d.data());
  llvm::SmallVector<void *> packed;
  for (void *&p : descriptorPtrs)
    packed.push_back(&p);
  return engine->invokePacked(("_mlir_ciface_" + name).str(), packed);
}
