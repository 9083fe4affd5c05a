//===- AttnDialect.td - the attn dialect -------------------*- tablegen -*-===//
#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Softmax, linear, gated linear and delta-rule attention";
  let description = [{
    Ops on ranked tensors in the [B, T, H, D] layout (batch, time, heads, head
    dim). q and k are [B, T, H, Dk], v and the output [B, T, H, Dv]; the
    recurrent state of the linear family is [B, H, Dk, Dv] in f32. Inputs are
    f32, bf16 or f16; accumulation is f32. `scale` defaults to 1/sqrt(Dk).
    The ops state the math only; passes choose how to compute it (recurrent,
    quadratic, chunkwise or reassociated form).
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, traits>;

#endif // ATTN_DIALECT_TD
