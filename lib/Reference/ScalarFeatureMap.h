//===- ScalarFeatureMap.h - phi of one element, inside the reference ------===//
//
// Shared by the reference's forward (Reference.cpp) and gradients
// (Gradients.cpp); not part of the public Reference.h.
//
//===----------------------------------------------------------------------===//
#ifndef ATTN_LIB_REFERENCE_SCALARFEATUREMAP_H
#define ATTN_LIB_REFERENCE_SCALARFEATUREMAP_H

#include "attn/Reference/Reference.h"

namespace attn::reference::detail {

/// phi(x) of the elementwise feature maps (identity, elu + 1, relu; FAVOR+
/// needs the whole vector and returns x here).
double phi(FeatureMap fm, double x);

} // namespace attn::reference::detail

#endif // ATTN_LIB_REFERENCE_SCALARFEATUREMAP_H
