//===- JitModule.cpp - run lowered attn functions in this process ----------===//
#include "attn/Runtime/JitModule.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"

#include <dlfcn.h>
#include <vector>

using namespace mlir;
using namespace mlir::attn;

void mlir::attn::registerJitTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

/// Libraries the compiled code calls into: memref.copy of non-contiguous
/// views calls the C runner utilities, the parallel CPU pipeline the OpenMP
/// runtime.
static const char *const kRuntimeLibraries[] = {"mlir_c_runner_utils", "omp"};

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

CompiledModule::~CompiledModule() = default;

llvm::Error CompiledModule::call(llvm::StringRef name,
                                 llvm::ArrayRef<DenseBuffer> args) {
  auto fn = lookupPacked(name);
  if (!fn)
    return fn.takeError();
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
  // The C interface takes a pointer to each descriptor; the packed wrapper
  // takes a pointer to each of those arguments.
  std::vector<void *> descriptorPtrs;
  for (auto &d : descriptors)
    descriptorPtrs.push_back(d.data());
  std::vector<void *> packed;
  for (void *&p : descriptorPtrs)
    packed.push_back(&p);
  (*fn)(packed.data());
  return llvm::Error::success();
}

JitModule::~JitModule() = default;

llvm::Expected<std::unique_ptr<JitModule>> JitModule::create(ModuleOp module) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  // Position-independent, so that the same object can become a shared
  // library (saveSharedLibrary).
  builder->setRelocationModel(llvm::Reloc::PIC_);
  builder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto tm = builder->createTargetMachine();
  if (!tm)
    return tm.takeError();

  static const std::string libDir = ATTN_MLIR_LIB_DIR;
  std::vector<std::string> paths;
  for (const char *lib : kRuntimeLibraries) {
    std::string path = libDir + "/lib" + lib + ".so";
    if (llvm::sys::fs::exists(path))
      paths.push_back(path);
  }
  llvm::SmallVector<llvm::StringRef, 2> libs(paths.begin(), paths.end());
  auto transformer = makeOptimizingTransformer(
      /*optLevel=*/3, /*sizeLevel=*/0, /*targetMachine=*/tm->get());
  ExecutionEngineOptions options;
  options.transformer = transformer;
  options.sharedLibPaths = libs;
  options.enableObjectDump = true;
  auto engine = ExecutionEngine::create(module, options, std::move(*tm));
  if (!engine)
    return engine.takeError();
  std::unique_ptr<JitModule> jit(new JitModule());
  jit->engine = std::move(*engine);
  return jit;
}

llvm::Expected<void (*)(void **)>
JitModule::lookupPacked(llvm::StringRef name) {
  return engine->lookupPacked(("_mlir_ciface_" + name).str());
}

llvm::Error JitModule::saveSharedLibrary(llvm::StringRef path) {
  llvm::SmallString<128> object;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("attn-kernel", "o", object))
    return makeError("cannot create a temporary object file: " + ec.message());
  engine->dumpToObjectFile(object);
  llvm::scope_exit remove([&] { llvm::sys::fs::remove(object); });

  // The clang driver knows the system's library paths; lld links.
  auto clang = llvm::sys::findProgramByName("clang", {ATTN_LLVM_TOOLS_DIR});
  if (!clang)
    return makeError("clang not found in " ATTN_LLVM_TOOLS_DIR
                     " (install clang-22 and lld-22)");
  std::string libDir = ATTN_MLIR_LIB_DIR;
  std::vector<std::string> argv{*clang, "-shared", "-fuse-ld=lld", "-o",
                                path.str(), std::string(object),
                                "-L" + libDir, "-Wl,-rpath," + libDir};
  for (const char *lib : kRuntimeLibraries)
    argv.push_back(std::string("-l") + lib);
  argv.push_back("-lm");
  std::vector<llvm::StringRef> args(argv.begin(), argv.end());
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*clang, args, /*Env=*/std::nullopt,
                                     /*Redirects=*/{}, /*SecondsToWait=*/60,
                                     /*MemoryLimit=*/0, &message);
  if (rc != 0)
    return makeError("linking " + path + " failed" +
                     (message.empty() ? "" : ": " + message));
  return llvm::Error::success();
}

SharedLibraryModule::~SharedLibraryModule() {
  if (handle)
    dlclose(handle);
}

llvm::Expected<std::unique_ptr<SharedLibraryModule>>
SharedLibraryModule::load(llvm::StringRef path) {
  void *handle = dlopen(path.str().c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return makeError("cannot load " + path + ": " + dlerror());
  std::unique_ptr<SharedLibraryModule> lib(new SharedLibraryModule());
  lib->handle = handle;
  return lib;
}

llvm::Expected<void (*)(void **)>
SharedLibraryModule::lookupPacked(llvm::StringRef name) {
  // The ExecutionEngine adds a packed wrapper `_mlir_<f>` for every function
  // before code generation, so the library has one for each C interface.
  std::string symbol = ("_mlir__mlir_ciface_" + name).str();
  void *fn = dlsym(handle, symbol.c_str());
  if (!fn)
    return makeError("no function " + symbol + " in the library");
  return reinterpret_cast<void (*)(void **)>(fn);
}
