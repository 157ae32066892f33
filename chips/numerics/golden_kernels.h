// The mat-vec kernels of the fast golden datapath (private to chips/numerics): acc = W v over a
// PreparedMatrix, per NUMERICS.md's weight formats. Portable C++ and AVX2 versions that give
// identical int32 results. Omits: requantisation (golden_expert.cc does it per channel).
#pragma once

#include <cstdint>

#include "chips/numerics/golden_expert.h"

namespace moefab::chips::internal {

/// acc[r] = NUMERICS.md's acc_r for r < groups * 8 (padding rows give 0). `v` holds
/// blocks * 32 int8 values (zero-padded past cols).
void MatVecPortable(const PreparedMatrix& m, const std::int8_t* v, std::int32_t* acc);
/// Same results with AVX2; call only when __builtin_cpu_supports("avx2").
void MatVecAvx2(const PreparedMatrix& m, const std::int8_t* v, std::int32_t* acc);
/// True when the CPU runs AVX2 (cached).
bool CpuHasAvx2();

}  // namespace moefab::chips::internal
