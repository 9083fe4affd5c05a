//===- ResolveTarget.cpp - a pass's target option to a description --------===//
#include "attn/Transforms/ResolveTarget.h"

using namespace mlir;
namespace tgt = ::attn::target;

FailureOr<tgt::TargetDescription>
mlir::attn::resolveTarget(Operation *op, StringRef name) {
  std::string error;
  if (std::optional<tgt::TargetDescription> t =
          tgt::resolveTarget(name.str(), error))
    return *t;
  if (name.ends_with(".json"))
    return op->emitError() << "attn target description " << error;
  InFlightDiagnostic diag = op->emitError()
                            << "unknown attn target '" << name
                            << "'; known targets:";
  for (const std::string &n : tgt::targetNames())
    diag << " " << n;
  return failure();
}
