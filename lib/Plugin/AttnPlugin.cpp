//===- AttnPlugin.cpp - attn as an mlir-opt dialect and pass plugin --------===//
//
// The two entry points a stock mlir-opt looks up in a plugin library:
// --load-dialect-plugin calls mlirGetDialectPluginInfo, --load-pass-plugin
// calls mlirGetPassPluginInfo. One library provides both.
//
//===----------------------------------------------------------------------===//
#include "attn/InitAttn.h"

#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Support/Compiler.h"

using namespace mlir;

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "AttnDialect", ATTN_VERSION,
          [](DialectRegistry *registry) {
            attn::registerAllAttnDialects(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "AttnPasses", ATTN_VERSION,
          []() { attn::registerAllAttnPasses(); }};
}
