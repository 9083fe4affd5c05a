// RUN: attn-opt %s -attn-cpu-approximate-math | FileCheck %s

// f32 exponentials, scalar or vector, become a polynomial of arith ops
// (floor, fma, a shift into the exponent bits) with arguments below
// ln(2^-126) flushed to exactly 0; other types are left to the libm call.
// CHECK-LABEL: func.func @exp_f32
// CHECK-NOT:     math.exp
// CHECK:         math.floor
// CHECK:         math.fma
// CHECK:         arith.shli
// CHECK:         %[[TINY:.*]] = arith.cmpf olt, %arg0, %{{.*}} : f32
// CHECK:         arith.select %[[TINY]], %{{.*}}, %{{.*}} : f32
func.func @exp_f32(%x: f32) -> f32 {
  %e = math.exp %x : f32
  return %e : f32
}

// CHECK-LABEL: func.func @exp_vector
// CHECK-NOT:     math.exp
// CHECK:         math.fma {{.*}} : vector<16xf32>
// CHECK:         arith.cmpf olt, %arg0, %{{.*}} : vector<16xf32>
func.func @exp_vector(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.exp %x : vector<16xf32>
  return %e : vector<16xf32>
}

// CHECK-LABEL: func.func @exp_f64
// CHECK:         math.exp %arg0 : f64
func.func @exp_f64(%x: f64) -> f64 {
  %e = math.exp %x : f64
  return %e : f64
}
