//===- GpuArtifacts.cpp - PTX and launch manifests of compiled kernels ----===//
#include "attn/Conversion/AttnToGPU/GpuArtifacts.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;

/// A manifest attribute as JSON (dictionaries, arrays, strings, integers,
/// floats and booleans are all it holds).
static llvm::json::Value toJson(Attribute attr) {
  if (auto d = dyn_cast<DictionaryAttr>(attr)) {
    llvm::json::Object o;
    for (NamedAttribute na : d)
      o[na.getName().strref()] = toJson(na.getValue());
    return o;
  }
  if (auto a = dyn_cast<ArrayAttr>(attr)) {
    llvm::json::Array arr;
    for (Attribute e : a)
      arr.push_back(toJson(e));
    return arr;
  }
  if (auto s = dyn_cast<StringAttr>(attr))
    return s.str();
  if (auto b = dyn_cast<BoolAttr>(attr))
    return b.getValue();
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return i.getInt();
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  return nullptr;
}

FailureOr<SmallVector<attn::GpuKernelArtifact>>
attn::collectGpuArtifacts(ModuleOp module) {
  auto manifests = module->getAttrOfType<DictionaryAttr>("attn.gpu_manifests");
  SmallVector<GpuKernelArtifact> artifacts;
  for (auto binary : module.getOps<gpu::BinaryOp>()) {
    StringRef name = binary.getSymName();
    Attribute manifest = manifests ? manifests.get(name) : Attribute();
    if (!manifest)
      return binary.emitError()
             << "no launch manifest for kernel module '" << name << "'";
    auto object = dyn_cast<gpu::ObjectAttr>(binary.getObjects()[0]);
    if (!object || object.getFormat() != gpu::CompilationTarget::Assembly)
      return binary.emitError() << "kernel module '" << name
                                << "' is not PTX text (format isa)";
    artifacts.push_back({name.str(), object.getObject().getValue().str(),
                         llvm::formatv("{0:2}", toJson(manifest)).str() +
                             "\n"});
  }
  return artifacts;
}
