//===- HostArray.cpp - attn-run's typed host buffers -----------------------===//
#include "HostArray.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace attn::run;

HostArray::HostArray(ElemKind kind, std::vector<int64_t> shape)
    : kind(kind), shape(std::move(shape)) {
  bytes.assign(numElements() * elementSize(), 0);
}

int64_t HostArray::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t HostArray::elementSize() const {
  return kind == ElemKind::F32 || kind == ElemKind::I32 ? 4 : 2;
}

static const llvm::fltSemantics &semantics(ElemKind kind) {
  switch (kind) {
  case ElemKind::F32:
    return llvm::APFloat::IEEEsingle();
  case ElemKind::F16:
    return llvm::APFloat::IEEEhalf();
  case ElemKind::BF16:
    return llvm::APFloat::BFloat();
  case ElemKind::I32:
    break;
  }
  llvm_unreachable("not a float element kind");
}

double HostArray::get(int64_t i) const {
  if (kind == ElemKind::I32) {
    int32_t x;
    std::memcpy(&x, bytes.data() + 4 * i, 4);
    return x;
  }
  if (kind == ElemKind::F32) {
    float f;
    std::memcpy(&f, bytes.data() + 4 * i, 4);
    return f;
  }
  uint16_t bits;
  std::memcpy(&bits, bytes.data() + 2 * i, 2);
  llvm::APFloat value(semantics(kind), llvm::APInt(16, bits));
  bool lost;
  value.convert(llvm::APFloat::IEEEdouble(),
                llvm::APFloat::rmNearestTiesToEven, &lost);
  return value.convertToDouble();
}

void HostArray::set(int64_t i, double x) {
  if (kind == ElemKind::I32) {
    // Saturating (a double outside int32 would be undefined behaviour).
    double c = std::isnan(x) ? 0.0 : std::clamp(x, -2147483648.0, 2147483647.0);
    int32_t v = static_cast<int32_t>(c);
    std::memcpy(bytes.data() + 4 * i, &v, 4);
    return;
  }
  if (kind == ElemKind::F32) {
    float f = static_cast<float>(x);
    std::memcpy(bytes.data() + 4 * i, &f, 4);
    return;
  }
  llvm::APFloat value(x);
  bool lost;
  value.convert(semantics(kind), llvm::APFloat::rmNearestTiesToEven, &lost);
  uint16_t bits = static_cast<uint16_t>(value.bitcastToAPInt().getZExtValue());
  std::memcpy(bytes.data() + 2 * i, &bits, 2);
}

std::vector<double> HostArray::toDoubles() const {
  std::vector<double> out(numElements());
  for (int64_t i = 0, e = numElements(); i < e; ++i)
    out[i] = get(i);
  return out;
}

bool attn::run::elemKindOf(mlir::Type type, ElemKind &kind,
                           std::string &error) {
  if (type.isF32())
    kind = ElemKind::F32;
  else if (type.isF16())
    kind = ElemKind::F16;
  else if (type.isBF16())
    kind = ElemKind::BF16;
  else if (type.isSignlessInteger(32))
    kind = ElemKind::I32;
  else {
    llvm::raw_string_ostream os(error);
    os << "element type " << type
       << " is not supported (f32, f16, bf16; i32 for cu_seqlens)";
    return false;
  }
  return true;
}

const char *attn::run::elemKindName(ElemKind kind) {
  switch (kind) {
  case ElemKind::F32:
    return "f32";
  case ElemKind::F16:
    return "f16";
  case ElemKind::BF16:
    return "bf16";
  case ElemKind::I32:
    return "i32";
  }
  return "?";
}
