//===- AttnEnums.td - enums and attributes of attn ---------*- tablegen -*-===//
#ifndef ATTN_ENUMS_TD
#define ATTN_ENUMS_TD

include "attn/Dialect/Attn/IR/AttnDialect.td"
include "mlir/IR/EnumAttr.td"

def Attn_FeatureMap : I32EnumAttr<"FeatureMap",
    "feature map phi applied to q and k by linear attention", [
      I32EnumAttrCase<"Identity", 0, "identity">,
      I32EnumAttrCase<"EluPlusOne", 1, "elu_plus_one">,
      I32EnumAttrCase<"Relu", 2, "relu">,
      // FAVOR+ (Performer): exp(W x - |x|^2 / 2) / sqrt(m) with the
      // projection W [m, Dk] an operand of the op.
      I32EnumAttrCase<"Favor", 3, "favor">
    ]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_FeatureMapAttr : EnumAttr<Attn_Dialect, Attn_FeatureMap, "feature_map"> {
  let assemblyFormat = "`<` $value `>`";
}

def Attn_Form : I32EnumAttr<"Form",
    "algorithm form an attention op is computed in", [
      I32EnumAttrCase<"Recurrent", 0, "recurrent">,
      I32EnumAttrCase<"Quadratic", 1, "quadratic">,
      I32EnumAttrCase<"Chunkwise", 2, "chunkwise">,
      I32EnumAttrCase<"Reassociated", 3, "reassociated">
    ]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}
def Attn_FormAttr : EnumAttr<Attn_Dialect, Attn_Form, "form"> {
  let assemblyFormat = "`<` $value `>`";
}

// Not an attribute: what the op interface reports about gating.
def Attn_GateKind : I32EnumAttr<"GateKind", "kind of log-decay gate", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Scalar", 1, "scalar">,
      I32EnumAttrCase<"Vector", 2, "vector">
    ]> {
  let cppNamespace = "::mlir::attn";
  let genSpecializedAttr = 0;
}

#endif // ATTN_ENUMS_TD
