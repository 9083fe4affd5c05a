//===- JitModule.cpp - run lowered attn functions in this process ----------===//
#include "attn/Runtime/JitModule.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"

#include <vector>

using namespace mlir;
using namespace mlir::attn;

void mlir::attn::registerJitTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

JitModule::~JitModule() = default;

llvm::Expected<std::unique_ptr<JitModule>> JitModule::create(ModuleOp module) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto transformer = makeOptimizingTransformer(
      /*optLevel=*/3, /*sizeLevel=*/0, /*targetMachine=*/nullptr);
  // memref.copy of non-contiguous views calls into the C runner utilities;
  // the parallel CPU pipeline calls into the OpenMP runtime.
  static const std::string libDir = ATTN_MLIR_LIB_DIR;
  static const std::string candidates[] = {
      libDir + "/libmlir_c_runner_utils.so", libDir + "/libomp.so"};
  llvm::SmallVector<llvm::StringRef, 2> libs;
  for (const std::string &lib : candidates)
    if (llvm::sys::fs::exists(lib))
      libs.push_back(lib);
  ExecutionEngineOptions options;
  options.transformer = transformer;
  options.sharedLibPaths = libs;
  auto engine = ExecutionEngine::create(module, options);
  if (!engine)
    return engine.takeError();
  std::unique_ptr<JitModule> jit(new JitModule());
  jit->engine = std::move(*engine);
  return jit;
}

llvm::Error JitModule::call(llvm::StringRef name,
                            llvm::ArrayRef<DenseBuffer> args) {
  // A ranked memref descriptor is {alloc ptr, aligned ptr, offset,
  // sizes[rank], strides[rank]}: all 8-byte fields, so an int64 array.
  std::vector<std::vector<int64_t>> descriptors;
  descriptors.reserve(args.size());
  for (const DenseBuffer &a : args) {
    std::vector<int64_t> d;
    auto ptr = reinterpret_cast<int64_t>(a.data);
    d.push_back(ptr);
    d.push_back(ptr);
    d.push_back(0);
    d.insert(d.end(), a.shape.begin(), a.shape.end());
    std::vector<int64_t> strides(a.shape.size());
    int64_t stride = 1;
    for (int64_t i = static_cast<int64_t>(a.shape.size()) - 1; i >= 0; --i) {
      strides[i] = stride;
      stride *= a.shape[i];
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
