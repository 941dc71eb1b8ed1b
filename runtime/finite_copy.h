// Staging an input while checking it: every model run refuses inf/NaN inputs, and the check
// rides on the copy the run makes anyway (into the host arena, or a GPU's staging buffer).
#pragma once

#include <cstddef>
#include <functional>

namespace micronet {

// Copies n floats from `in` to `out` (null: only checks) and returns the index of the first
// non-finite one (n when all are finite).
size_t copy_checking_finite(const float* in, float* out, size_t n);

// The same over the worker pool (runtime/threading.h), in chunks of `chunk` floats: each
// chunk is copied and checked by one thread, which then calls ready(offset, count) for it
// (a GPU upload starts each chunk's transfer there, so the transfer of one chunk overlaps
// the copying of the next). Returns the index of the first non-finite value, n when all are
// finite; ready() is then not called for the chunk holding it nor, maybe, for later ones.
// An exception from ready() propagates (the lowest-numbered chunk's).
size_t copy_checking_finite_chunked(const float* in, float* out, size_t n, size_t chunk,
                                    const std::function<void(size_t offset, size_t count)>& ready);

}  // namespace micronet
