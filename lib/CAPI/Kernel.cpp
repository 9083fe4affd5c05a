//===- Kernel.cpp - C API: compiled CPU kernels (AttnKernel) --------------===//
//
// attnCompile JIT-compiles a module through a pipeline; the kernel records
// each function's tensor signature so that attnKernelCall can check the
// caller's buffers, and saves/loads as a shared library plus a .sig file.
//
//===----------------------------------------------------------------------===//
#include "attn-c/Attn.h"

#include "CompilerContext.h"

#include "attn/Runtime/JitModule.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::attn::capi;

namespace {

struct TensorSig {
  AttnElementType type;
  std::vector<int64_t> sizes;
};

struct FunctionSig {
  std::vector<TensorSig> args; // inputs then results
  size_t numInputs = 0;
};

AttnElementType elementTypeOf(Type t) {
  if (t.isF32())
    return ATTN_F32;
  if (t.isF16())
    return ATTN_F16;
  if (t.isBF16())
    return ATTN_BF16;
  if (t.isSignlessInteger(32))
    return ATTN_I32;
  return ATTN_UNSUPPORTED;
}

const char *elementTypeName(AttnElementType t) {
  switch (t) {
  case ATTN_F32:
    return "f32";
  case ATTN_F16:
    return "f16";
  case ATTN_BF16:
    return "bf16";
  case ATTN_I32:
    return "i32";
  default:
    return "unsupported";
  }
}

/// The signature of `f`, or an error when an argument is not a static float
/// tensor.
bool recordSignature(func::FuncOp f, FunctionSig &sig, std::string &error) {
  auto add = [&](Type t, const std::string &what) {
    auto tensor = dyn_cast<RankedTensorType>(t);
    AttnElementType et =
        tensor ? elementTypeOf(tensor.getElementType()) : ATTN_UNSUPPORTED;
    if (!tensor || !tensor.hasStaticShape() || et == ATTN_UNSUPPORTED) {
      llvm::raw_string_ostream os(error);
      os << what << " of @" << f.getSymName() << " has type " << t
         << "; compiled functions take static f32/f16/bf16 tensors (i32 "
            "for cu_seqlens)";
      return false;
    }
    sig.args.push_back({et, std::vector<int64_t>(tensor.getShape().begin(),
                                                 tensor.getShape().end())});
    return true;
  };
  FunctionType type = f.getFunctionType();
  for (auto [i, t] : llvm::enumerate(type.getInputs()))
    if (!add(t, "argument #" + std::to_string(i)))
      return false;
  sig.numInputs = type.getNumInputs();
  for (auto [i, t] : llvm::enumerate(type.getResults()))
    if (!add(t, "result #" + std::to_string(i)))
      return false;
  return true;
}

std::string shapeText(const int64_t *sizes, intptr_t rank) {
  std::string s = "[";
  for (intptr_t i = 0; i < rank; ++i)
    s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

} // namespace

struct AttnKernel {
  std::unique_ptr<MLIRContext> context;
  attn::JitModule *jit = nullptr; // when compiled here (owned by `code`)
  std::string loadedFrom;         // when loaded by attnKernelLoad
  std::unique_ptr<attn::CompiledModule> code;
  std::vector<std::string> names;
  std::map<std::string, FunctionSig> signatures;
};

namespace {

/// One line per function: name, number of inputs, then "type:dims" per
/// argument (inputs then results), tab-separated; dims 'x'-separated.
std::string signatureText(const AttnKernel &k) {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (const std::string &name : k.names) {
    const FunctionSig &sig = k.signatures.at(name);
    os << name << "\t" << sig.numInputs;
    for (const TensorSig &t : sig.args) {
      os << "\t" << static_cast<int>(t.type) << ":";
      for (size_t i = 0; i < t.sizes.size(); ++i)
        os << (i ? "x" : "") << t.sizes[i];
    }
    os << "\n";
  }
  return text;
}

bool parseSignatures(llvm::StringRef text, AttnKernel &k) {
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : lines) {
    llvm::SmallVector<llvm::StringRef> fields;
    line.split(fields, '\t');
    FunctionSig sig;
    if (fields.size() < 2 || fields[1].getAsInteger(10, sig.numInputs))
      return false;
    for (llvm::StringRef f : llvm::drop_begin(fields, 2)) {
      auto [typeText, dimsText] = f.split(':');
      int type;
      if (typeText.getAsInteger(10, type) ||
          (type != ATTN_F32 && type != ATTN_F16 && type != ATTN_BF16 &&
           type != ATTN_I32))
        return false;
      TensorSig t{static_cast<AttnElementType>(type), {}};
      llvm::SmallVector<llvm::StringRef> dims;
      dimsText.split(dims, 'x', -1, /*KeepEmpty=*/false);
      for (llvm::StringRef d : dims) {
        int64_t v;
        if (d.getAsInteger(10, v) || v < 0)
          return false;
        t.sizes.push_back(v);
      }
      sig.args.push_back(std::move(t));
    }
    if (sig.numInputs > sig.args.size())
      return false;
    k.names.push_back(fields[0].str());
    k.signatures[fields[0].str()] = std::move(sig);
  }
  return true;
}

} // namespace

extern "C" {

AttnKernel *attnCompile(const char *mlirText, const char *pipeline,
                        char **error) {
  registerEverythingOnce();
  auto kernel = std::make_unique<AttnKernel>();
  kernel->context = makeContext();
  MLIRContext &ctx = *kernel->context;
  DiagnosticCollector diags(ctx);
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(mlirText, ParserConfig(&ctx), "<input>");
  if (!module) {
    setString(error, diags.text());
    return nullptr;
  }
  std::string sigError;
  for (auto f : module->getOps<func::FuncOp>()) {
    if (f.isExternal())
      continue;
    FunctionSig sig;
    if (!recordSignature(f, sig, sigError)) {
      setString(error, sigError);
      return nullptr;
    }
    kernel->names.push_back(f.getSymName().str());
    kernel->signatures[f.getSymName().str()] = std::move(sig);
    f->setAttr("llvm.emit_c_interface", UnitAttr::get(&ctx));
  }
  PassManager pm(&ctx);
  if (failed(parsePipelineInto(pipeline, pm, error)))
    return nullptr;
  if (failed(pm.run(*module))) {
    setString(error, diags.text());
    return nullptr;
  }
  auto jit = attn::JitModule::create(*module);
  if (!jit) {
    setString(error, "JIT compilation failed: " +
                         llvm::toString(jit.takeError()));
    return nullptr;
  }
  kernel->jit = jit->get();
  kernel->code = std::move(*jit);
  return kernel.release();
}

int attnKernelSave(AttnKernel *kernel, const char *path, char **error) {
  if (kernel->jit) {
    if (llvm::Error e = kernel->jit->saveSharedLibrary(path)) {
      setString(error, llvm::toString(std::move(e)));
      return -1;
    }
  } else if (std::error_code ec =
                 llvm::sys::fs::copy_file(kernel->loadedFrom, path)) {
    // A loaded kernel is saved by copying its library.
    setString(error, "cannot copy " + kernel->loadedFrom + " to " +
                         std::string(path) + ": " + ec.message());
    return -1;
  }
  std::error_code ec;
  llvm::raw_fd_ostream sig(std::string(path) + ".sig", ec);
  if (ec) {
    setString(error, "cannot write " + std::string(path) + ".sig: " +
                         ec.message());
    return -1;
  }
  sig << signatureText(*kernel);
  return 0;
}

AttnKernel *attnKernelLoad(const char *path, char **error) {
  auto text = llvm::MemoryBuffer::getFile(std::string(path) + ".sig");
  if (!text) {
    setString(error, "cannot read " + std::string(path) + ".sig: " +
                         text.getError().message());
    return nullptr;
  }
  auto kernel = std::make_unique<AttnKernel>();
  if (!parseSignatures((*text)->getBuffer(), *kernel)) {
    setString(error, "malformed signature file " + std::string(path) + ".sig");
    return nullptr;
  }
  auto lib = attn::SharedLibraryModule::load(path);
  if (!lib) {
    setString(error, llvm::toString(lib.takeError()));
    return nullptr;
  }
  kernel->code = std::move(*lib);
  kernel->loadedFrom = path;
  return kernel.release();
}

void attnKernelDestroy(AttnKernel *kernel) { delete kernel; }

intptr_t attnKernelNumFunctions(const AttnKernel *kernel) {
  return static_cast<intptr_t>(kernel->names.size());
}

const char *attnKernelFunctionName(const AttnKernel *kernel, intptr_t index) {
  if (index < 0 || index >= attnKernelNumFunctions(kernel))
    return nullptr;
  return kernel->names[index].c_str();
}

int attnKernelSignature(const AttnKernel *kernel, const char *func,
                        intptr_t *numInputs, intptr_t *numResults) {
  auto it = kernel->signatures.find(func);
  if (it == kernel->signatures.end())
    return -1;
  *numInputs = static_cast<intptr_t>(it->second.numInputs);
  *numResults =
      static_cast<intptr_t>(it->second.args.size() - it->second.numInputs);
  return 0;
}

int attnKernelArgType(const AttnKernel *kernel, const char *func,
                      intptr_t index, AttnElementType *type, intptr_t *rank,
                      int64_t *sizes) {
  auto it = kernel->signatures.find(func);
  if (it == kernel->signatures.end() || index < 0 ||
      index >= static_cast<intptr_t>(it->second.args.size()))
    return -1;
  const TensorSig &t = it->second.args[index];
  *type = t.type;
  *rank = static_cast<intptr_t>(t.sizes.size());
  if (sizes)
    std::copy(t.sizes.begin(), t.sizes.end(), sizes);
  return 0;
}

int attnKernelCall(AttnKernel *kernel, const char *func,
                   const AttnBuffer *args, intptr_t numArgs, char **error) {
  auto it = kernel->signatures.find(func);
  if (it == kernel->signatures.end()) {
    setString(error, "no function @" + std::string(func) + " in the kernel");
    return -1;
  }
  const FunctionSig &sig = it->second;
  if (numArgs != static_cast<intptr_t>(sig.args.size())) {
    setString(error, "@" + std::string(func) + " takes " +
                         std::to_string(sig.args.size()) +
                         " buffers (inputs then results), got " +
                         std::to_string(numArgs));
    return -1;
  }
  std::vector<attn::DenseBuffer> buffers;
  for (intptr_t i = 0; i < numArgs; ++i) {
    const TensorSig &want = sig.args[i];
    const AttnBuffer &got = args[i];
    std::string what =
        (i < static_cast<intptr_t>(sig.numInputs) ? "argument #" : "result #") +
        std::to_string(i < static_cast<intptr_t>(sig.numInputs)
                           ? i
                           : i - static_cast<intptr_t>(sig.numInputs));
    bool sameShape =
        got.rank == static_cast<intptr_t>(want.sizes.size()) &&
        std::equal(want.sizes.begin(), want.sizes.end(), got.sizes);
    if (!got.data || got.type != want.type || !sameShape) {
      setString(error, what + " of @" + func + " must be " +
                           elementTypeName(want.type) + " " +
                           shapeText(want.sizes.data(), want.sizes.size()) +
                           ", got " + elementTypeName(got.type) + " " +
                           shapeText(got.sizes, got.rank));
      return -1;
    }
    buffers.push_back({got.data, want.sizes});
  }
  if (llvm::Error e = kernel->code->call(func, buffers)) {
    setString(error, "calling @" + std::string(func) + ": " +
                         llvm::toString(std::move(e)));
    return -1;
  }
  return 0;
}

} // extern "C"
