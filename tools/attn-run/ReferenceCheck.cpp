//===- ReferenceCheck.cpp - tie a function to the float64 reference --------===//
#include "ReferenceCheck.h"

#include "attn/Dialect/Attn/IR/Attn.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
namespace ref = ::attn::reference;

namespace attn::run {

const char *roleName(Role role) {
  switch (role) {
  case Role::Q:
    return "q";
  case Role::K:
    return "k";
  case Role::V:
    return "v";
  case Role::Gate:
    return "g";
  case Role::Beta:
    return "beta";
  case Role::InitialState:
    return "initial_state";
  case Role::CuSeqlens:
    return "cu_seqlens";
  case Role::Projection:
    return "projection";
  case Role::DOut:
    return "d_o";
  case Role::DFinalState:
    return "d_final_state";
  case Role::Other:
    break;
  }
  return "arg";
}

static ref::FeatureMap toReference(mlir::attn::FeatureMap fm) {
  switch (fm) {
  case mlir::attn::FeatureMap::Identity:
    return ref::FeatureMap::Identity;
  case mlir::attn::FeatureMap::EluPlusOne:
    return ref::FeatureMap::EluPlusOne;
  case mlir::attn::FeatureMap::Relu:
    return ref::FeatureMap::Relu;
  case mlir::attn::FeatureMap::Favor:
    return ref::FeatureMap::Favor;
  }
  return ref::FeatureMap::Identity;
}

std::optional<OpBinding>
bindSingleAttentionOp(func::FuncOp func, std::string &why) {
  if (func.isExternal()) {
    why = "the function has no body";
    return std::nullopt;
  }
  Block &body = func.getBody().front();
  auto ops = body.without_terminator();
  if (std::distance(ops.begin(), ops.end()) != 1) {
    why = "the function body must be exactly one attn op and a return";
    return std::nullopt;
  }
  Operation *only = &*ops.begin();
  OpBinding binding;
  binding.argRoles.assign(func.getNumArguments(), Role::Other);
  auto bind = [&](Value operand, Role role) -> bool {
    if (!operand)
      return true;
    auto arg = dyn_cast<BlockArgument>(operand);
    if (!arg || arg.getOwner() != &body ||
        binding.argRoles[arg.getArgNumber()] != Role::Other) {
      why = std::string("operand '") + roleName(role) +
            "' must be a distinct function argument";
      return false;
    }
    binding.argRoles[arg.getArgNumber()] = role;
    return true;
  };
  auto allArgumentsUsed = [&]() {
    for (auto [i, role] : llvm::enumerate(binding.argRoles))
      if (role == Role::Other) {
        why = "function argument #" + std::to_string(i) +
              " is not used by the attn op";
        return false;
      }
    return true;
  };
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  // A gradient op: its scale (default 1/sqrt(Dk)) and the names of the
  // results the function returns, by result number.
  auto gradScale = [](std::optional<APFloat> scale, Value q) {
    return scale ? scale->convertToDouble()
                 : 1.0 / std::sqrt(double(
                             cast<ShapedType>(q.getType()).getDimSize(3)));
  };
  auto nameGradResults = [&](const std::vector<std::string> &names) {
    for (Value r : ret.getOperands()) {
      auto res = dyn_cast<OpResult>(r);
      if (!res || res.getOwner() != only) {
        why = "the function must return the gradient op's results directly";
        return false;
      }
      binding.resultNames.push_back(names[res.getResultNumber()]);
    }
    return true;
  };
  if (auto sm = dyn_cast<mlir::attn::SoftmaxAttentionGradOp>(only)) {
    binding.kind = OpKind::SoftmaxGrad;
    if (!bind(sm.getQ(), Role::Q) || !bind(sm.getK(), Role::K) ||
        !bind(sm.getV(), Role::V) || !bind(sm.getDO(), Role::DOut) ||
        !allArgumentsUsed())
      return std::nullopt;
    binding.causal = sm.getCausal();
    binding.window = static_cast<int64_t>(sm.getWindow().value_or(0));
    binding.scale = gradScale(sm.getScale(), sm.getQ());
    std::vector<std::string> names = {"dq", "dk", "dv"};
    if (!nameGradResults(names))
      return std::nullopt;
    return binding;
  }
  if (auto d = dyn_cast<mlir::attn::DeltaRuleGradOp>(only)) {
    binding.kind = OpKind::DeltaGrad;
    if (!bind(d.getQ(), Role::Q) || !bind(d.getK(), Role::K) ||
        !bind(d.getV(), Role::V) || !bind(d.getBeta(), Role::Beta) ||
        !bind(d.getDO(), Role::DOut) || !bind(d.getG(), Role::Gate) ||
        !bind(d.getInitialState(), Role::InitialState) ||
        !bind(d.getDFinalState(), Role::DFinalState) || !allArgumentsUsed())
      return std::nullopt;
    binding.scale = gradScale(d.getScale(), d.getQ());
    std::vector<std::string> names = {"dq", "dk", "dv", "dbeta"};
    if (d.getG())
      names.push_back("dg");
    names.push_back("d_initial_state");
    if (!nameGradResults(names))
      return std::nullopt;
    return binding;
  }
  if (isa<mlir::attn::LinearAttentionGradOp,
          mlir::attn::GatedLinearAttentionGradOp>(only)) {
    // Operands in order: q, k, v, (g), d_o, then the optional states.
    auto lin = dyn_cast<mlir::attn::LinearAttentionGradOp>(only);
    auto gla = dyn_cast<mlir::attn::GatedLinearAttentionGradOp>(only);
    binding.kind = lin ? OpKind::LinearGrad : OpKind::GatedGrad;
    Value q = lin ? lin.getQ() : gla.getQ();
    if (!bind(q, Role::Q) || !bind(lin ? lin.getK() : gla.getK(), Role::K) ||
        !bind(lin ? lin.getV() : gla.getV(), Role::V) ||
        !bind(lin ? Value() : gla.getG(), Role::Gate) ||
        !bind(lin ? lin.getDO() : gla.getDO(), Role::DOut) ||
        !bind(lin ? lin.getInitialState() : gla.getInitialState(),
              Role::InitialState) ||
        !bind(lin ? lin.getDFinalState() : gla.getDFinalState(),
              Role::DFinalState) ||
        !allArgumentsUsed())
      return std::nullopt;
    if (lin) {
      binding.featureMap = toReference(lin.getFeatureMap());
      binding.causal = lin.getCausal();
    }
    binding.scale = gradScale(lin ? lin.getScale() : gla.getScale(), q);
    std::vector<std::string> names = {"dq", "dk", "dv"};
    if (gla)
      names.push_back("dg");
    names.push_back("d_initial_state");
    if (!nameGradResults(names))
      return std::nullopt;
    return binding;
  }
  auto op = dyn_cast<mlir::attn::AttentionOpInterface>(only);
  if (!op) {
    why = "the function body's op is not an attn op";
    return std::nullopt;
  }
  if (!bind(op.getQ(), Role::Q) || !bind(op.getK(), Role::K) ||
      !bind(op.getV(), Role::V) ||
      !bind(op.getInitialStateOrNull(), Role::InitialState) ||
      !bind(op.getCuSeqlensOrNull(), Role::CuSeqlens) ||
      !bind(op.getProjectionOrNull(), Role::Projection))
    return std::nullopt;

  bool ok = llvm::TypeSwitch<Operation *, bool>(op)
                .Case([&](mlir::attn::SoftmaxAttentionOp sm) {
                  binding.kind = OpKind::Softmax;
                  binding.window = sm.getWindow().value_or(0);
                  return true;
                })
                .Case([&](mlir::attn::LinearAttentionOp l) {
                  binding.kind = OpKind::Linear;
                  binding.featureMap = toReference(l.getFeatureMap());
                  binding.normalize = l.getNormalize();
                  return true;
                })
                .Case([&](mlir::attn::GatedLinearAttentionOp g) {
                  binding.kind = OpKind::Gated;
                  return bind(g.getG(), Role::Gate);
                })
                .Case([&](mlir::attn::DeltaRuleOp d) {
                  binding.kind = OpKind::Delta;
                  return bind(d.getBeta(), Role::Beta) &&
                         bind(d.getG(), Role::Gate);
                })
                .Default([](Operation *) { return false; });
  if (!ok || !allArgumentsUsed())
    return std::nullopt;
  binding.causal = op.isCausal();
  std::optional<double> scale = op.getStaticScale();
  if (!scale) {
    why = "the default scale needs a static Dk";
    return std::nullopt;
  }
  binding.scale = *scale;

  for (Value v : ret.getOperands()) {
    if (v == op.getO())
      binding.resultNames.push_back("o");
    else if (v && v == op.getFinalStateOrNull())
      binding.resultNames.push_back("final_state");
    else {
      why = "the function must return the attn op's results directly";
      return std::nullopt;
    }
  }
  return binding;
}

std::vector<ref::Array>
computeReference(const OpBinding &binding,
                            std::vector<HostArray> &inputs) {
  const ref::Array *q = nullptr, *k = nullptr, *v = nullptr, *g = nullptr,
                   *beta = nullptr, *init = nullptr, *cu = nullptr,
                   *w = nullptr, *dO = nullptr, *dFinal = nullptr;
  std::vector<ref::Array> arrays;
  arrays.reserve(inputs.size());
  for (HostArray &in : inputs)
    arrays.emplace_back(in.shape, in.toDoubles());
  for (auto [i, role] : llvm::enumerate(binding.argRoles)) {
    const ref::Array *a = &arrays[i];
    switch (role) {
    case Role::Q:
      q = a;
      break;
    case Role::K:
      k = a;
      break;
    case Role::V:
      v = a;
      break;
    case Role::Gate:
      g = a;
      break;
    case Role::Beta:
      beta = a;
      break;
    case Role::InitialState:
      init = a;
      break;
    case Role::CuSeqlens:
      cu = a;
      break;
    case Role::Projection:
      w = a;
      break;
    case Role::DOut:
      dO = a;
      break;
    case Role::DFinalState:
      dFinal = a;
      break;
    case Role::Other:
      break;
    }
  }
  if (binding.kind == OpKind::LinearGrad || binding.kind == OpKind::GatedGrad ||
      binding.kind == OpKind::SoftmaxGrad || binding.kind == OpKind::DeltaGrad) {
    ref::Array dbeta;
    ref::GradResult r;
    if (binding.kind == OpKind::DeltaGrad) {
      ref::DeltaGradResult d = ref::deltaRuleGrad(
          *q, *k, *v, *beta, g, *dO, init, dFinal, binding.scale);
      r = std::move(d.grads);
      dbeta = std::move(d.dbeta);
    } else
      r = binding.kind == OpKind::SoftmaxGrad
            ? ref::softmaxAttentionGrad(*q, *k, *v, *dO, binding.causal,
                                        binding.scale, binding.window)
            : ref::linearFamilyGrad(*q, *k, *v, g, *dO, init, dFinal,
                                    binding.featureMap, binding.causal,
                                    binding.scale);
    std::vector<ref::Array> out;
    for (const std::string &name : binding.resultNames)
      out.push_back(name == "dq"      ? r.dq
                    : name == "dk"    ? r.dk
                    : name == "dv"    ? r.dv
                    : name == "dbeta" ? dbeta
                    : name == "dg"    ? r.dg
                                      : r.dInitialState);
    return out;
  }
  // The op on (q, k, v, g, beta) with an initial state.
  auto run = [&](const std::vector<const ref::Array *> &in,
                 const ref::Array *s0) {
    ref::StateResult r;
    switch (binding.kind) {
    case OpKind::Softmax:
      r.o = ref::softmaxAttention(*in[0], *in[1], *in[2], binding.causal,
                                  binding.scale, binding.window);
      break;
    case OpKind::Linear:
      r = ref::linearAttention(*in[0], *in[1], *in[2], s0, binding.featureMap,
                               binding.normalize, binding.causal,
                               binding.scale, w);
      break;
    case OpKind::Gated:
      r = ref::gatedLinearAttention(*in[0], *in[1], *in[2], *in[3], s0,
                                    binding.scale);
      break;
    case OpKind::Delta:
      r = ref::deltaRule(*in[0], *in[1], *in[2], *in[4], in[3], s0,
                         binding.scale);
      break;
    case OpKind::LinearGrad:
    case OpKind::GatedGrad:
    case OpKind::DeltaGrad:
    case OpKind::SoftmaxGrad:
      break; // handled above
    }
    return r;
  };
  std::vector<const ref::Array *> perStep{q, k, v, g, beta};
  ref::StateResult r;
  if (cu) {
    // Packed sequences, by definition: each one on its own.
    std::vector<int64_t> offsets(cu->data.begin(), cu->data.end());
    r = ref::packedSequences(offsets, perStep, init, run);
  } else {
    r = run(perStep, init);
  }
  std::vector<ref::Array> out;
  for (const std::string &name : binding.resultNames)
    out.push_back(name == "o" ? r.o : r.finalState);
  return out;
}

} // namespace attn::run
