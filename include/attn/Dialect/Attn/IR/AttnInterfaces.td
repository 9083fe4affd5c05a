//===- AttnInterfaces.td - what passes ask of attn ops -----*- tablegen -*-===//
#ifndef ATTN_INTERFACES_TD
#define ATTN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Attn_AttentionOpInterface : OpInterface<"AttentionOpInterface"> {
  let cppNamespace = "::mlir::attn";
  let description = [{
    The questions form selection, chunk selection and lowerings ask of every
    attention op: operands by role, the problem sizes, masking, gating and the
    form chosen so far. Sizes are ShapedType::kDynamic when not static.
  }];
  let methods = [
    InterfaceMethod<"The query operand [B, Tq, H, Dk].", "::mlir::Value", "getQ">,
    InterfaceMethod<"The key operand [B, Tk, H, Dk].", "::mlir::Value", "getK">,
    InterfaceMethod<"The value operand [B, Tk, H, Dv].", "::mlir::Value", "getV">,
    InterfaceMethod<"The output [B, Tq, H, Dv].", "::mlir::Value", "getO">,
    InterfaceMethod<"The initial state [B, H, Dk, Dv] or null.",
      "::mlir::Value", "getInitialStateOrNull", (ins), [{}],
      [{ return nullptr; }]>,
    InterfaceMethod<"The final-state result [B, H, Dk, Dv] or null.",
      "::mlir::Value", "getFinalStateOrNull", (ins), [{}],
      [{ return nullptr; }]>,
    InterfaceMethod<"The packed-sequence offsets cu_seqlens, int32 [N + 1], "
      "or null.", "::mlir::Value", "getCuSeqlensOrNull">,
    InterfaceMethod<"The FAVOR+ projection W [m, Dk] of the feature map, or "
      "null.", "::mlir::Value", "getProjectionOrNull", (ins), [{}],
      [{ return nullptr; }]>,
    InterfaceMethod<"Whether position t only sees positions s <= t.",
      "bool", "isCausal">,
    InterfaceMethod<"True for the linear family (a recurrent state exists).",
      "bool", "hasRecurrentState", (ins), [{}], [{ return true; }]>,
    InterfaceMethod<"The kind of log-decay gate.",
      "::mlir::attn::GateKind", "getGateKind", (ins), [{}],
      [{ return ::mlir::attn::GateKind::None; }]>,
    InterfaceMethod<"The user-given scale, if any.",
      "std::optional<::llvm::APFloat>", "getScale">,
    InterfaceMethod<"The form recorded on the op, if any.",
      "std::optional<::mlir::attn::Form>", "getForm">,
    InterfaceMethod<"The chunk size recorded on the op, if any.",
      "std::optional<uint64_t>", "getChunkSize">,
    InterfaceMethod<"Records (or clears) the form.", "void", "setForm",
      (ins "std::optional<::mlir::attn::Form>":$form)>,
    InterfaceMethod<"Records (or clears) the chunk size.", "void",
      "setChunkSize", (ins "std::optional<uint64_t>":$chunkSize)>,
  ];
  let extraSharedClassDeclaration = [{
    int64_t getBatchSize() { return dimOf($_op.getQ(), 0); }
    int64_t getQuerySeqLen() { return dimOf($_op.getQ(), 1); }
    int64_t getKeySeqLen() { return dimOf($_op.getK(), 1); }
    int64_t getNumHeads() { return dimOf($_op.getQ(), 2); }
    /// Heads of k and v: fewer than getNumHeads() for grouped-query
    /// attention.
    int64_t getNumKVHeads() { return dimOf($_op.getK(), 2); }
    /// Whether query heads share k/v heads (Hq != Hkv, or unknown).
    bool hasGroupedHeads() {
      int64_t hq = getNumHeads(), hkv = getNumKVHeads();
      return ShapedType::isDynamic(hq) || ShapedType::isDynamic(hkv) ||
             hq != hkv;
    }
    int64_t getKeyDim() { return dimOf($_op.getQ(), 3); }
    /// The key dimension of the state [B, H, Dk, Dv]: Dk, or the number m
    /// of random features of a FAVOR+ projection.
    int64_t getStateKeyDim() {
      if (::mlir::Value w = $_op.getProjectionOrNull())
        return dimOf(w, 0);
      return getKeyDim();
    }
    /// Whether T holds several packed sequences (a cu_seqlens operand).
    bool hasPackedSequences() { return $_op.getCuSeqlensOrNull() != nullptr; }
    /// N, the number of packed sequences (dynamic if unknown); 1 without
    /// cu_seqlens.
    int64_t getNumSequences() {
      ::mlir::Value cu = $_op.getCuSeqlensOrNull();
      if (!cu)
        return 1;
      int64_t n = dimOf(cu, 0);
      return ShapedType::isDynamic(n) ? n : n - 1;
    }
    int64_t getValueDim() { return dimOf($_op.getV(), 3); }
    /// The scale attribute, or 1/sqrt(Dk); nullopt when neither is known
    /// statically (no attribute and a dynamic Dk).
    std::optional<double> getStaticScale() {
      if (auto s = $_op.getScale())
        return s->convertToDouble();
      if (::mlir::ShapedType::isDynamic(getKeyDim()))
        return std::nullopt;
      return 1.0 / std::sqrt(static_cast<double>(getKeyDim()));
    }
    /// Element type of q, k and v.
    ::mlir::Type getInputElementType() {
      return ::llvm::cast<::mlir::ShapedType>($_op.getQ().getType())
          .getElementType();
    }
  private:
    static int64_t dimOf(::mlir::Value v, unsigned i) {
      return ::llvm::cast<::mlir::ShapedType>(v.getType()).getDimSize(i);
    }
  public:
  }];
  let verify = [{ return ::mlir::attn::detail::verifyAttentionOp($_op); }];
}

#endif // ATTN_INTERFACES_TD
