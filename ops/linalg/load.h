// Element access to tensor data that may be misaligned: weights are mapped straight from the model
// file, so an input pointer can have any alignment. memcpy with a constant size compiles to a
// plain (unaligned) load or store, so hot loops lose nothing.
#pragma once
#include <cstdint>
#include <cstring>

namespace wrun::ops {

// Element i of a T array starting at p (p need not be aligned for T).
template <class T>
inline T load(const void* p, int64_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(p) + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
  return v;
}

// The address of element i of a T array at p, without forming a (possibly misaligned) T*.
template <class T>
inline const char* elem_ptr(const void* p, int64_t i) {
  return static_cast<const char*>(p) + i * static_cast<int64_t>(sizeof(T));
}

}  // namespace wrun::ops
