// Memory hygiene for secrets: a wiping allocator and buffer type, explicit
// wiping and constant-time comparison. Keys, passwords, PINs, OTP seeds and
// keyboard-interactive responses live in SecureBuffer so that every copy the
// buffer ever held (including ones left behind by a reallocation) is zeroed
// before the memory is returned.
#ifndef PARLEY_CORE_BASE_SECURE_BUFFER_H_
#define PARLEY_CORE_BASE_SECURE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "core/base/bytes.h"

namespace parley {

// Zeroes `len` bytes at `p` in a way the compiler may not elide.
void SecureWipe(void* p, size_t len);

// Compares in time that depends only on the lengths, never on the contents.
// Returns false when the lengths differ.
bool ConstantTimeEquals(ByteView a, ByteView b);

template <typename T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <typename U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT

  T* allocate(size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept {
    SecureWipe(p, n * sizeof(T));
    ::operator delete(p);
  }
  template <typename U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const WipingAllocator<U>&) const noexcept {
    return false;
  }
};

// A byte vector whose storage is wiped when freed or reallocated.
using SecureBuffer = std::vector<uint8_t, WipingAllocator<uint8_t>>;

inline SecureBuffer ToSecureBuffer(ByteView b) {
  return SecureBuffer(b.begin(), b.end());
}

inline ByteView View(const SecureBuffer& b) {
  return ByteView(b.data(), b.size());
}

}  // namespace parley

#endif  // PARLEY_CORE_BASE_SECURE_BUFFER_H_
