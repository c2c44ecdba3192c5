#include "tests/hostile/alloc_meter.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

namespace parley::hostile {
namespace {

thread_local int t_depth = 0;
// Inside a MeterPause: the test's own bookkeeping, not metered at all.
thread_local int t_paused = 0;
thread_local size_t t_allocations = 0;
thread_local size_t t_hook_allocations = 0;
thread_local size_t t_fail_at = 0;
thread_local size_t t_hook_fail_at = 0;
thread_local int64_t t_live = 0;
thread_local int64_t t_peak = 0;

// The registry: a fixed array (no allocation inside the allocator), read
// under a mutex.
constexpr size_t kMaxSecrets = 64;
constexpr size_t kMaxSecretSize = 256;
std::mutex g_secrets_mu;
uint8_t g_secrets[kMaxSecrets][kMaxSecretSize];
size_t g_secret_sizes[kMaxSecrets];
size_t g_secret_count = 0;

thread_local int t_watching = 0;
thread_local size_t t_hits = 0;
thread_local size_t t_largest_hit = 0;
thread_local size_t t_hit_index = 0;

void CheckWiped(void* p) {
  if (t_watching == 0 || p == nullptr) return;
  const size_t n = malloc_usable_size(p);
  std::lock_guard<std::mutex> lock(g_secrets_mu);
  for (size_t i = 0; i < g_secret_count; ++i) {
    if (memmem(p, n, g_secrets[i], g_secret_sizes[i]) != nullptr) {
      ++t_hits;
      if (n >= t_largest_hit) {
        t_largest_hit = n;
        t_hit_index = i;
      }
      return;
    }
  }
}

void Count(void* p) {
  if (t_depth == 0 || t_paused > 0 || p == nullptr) return;
  t_live += static_cast<int64_t>(malloc_usable_size(p));
  if (t_live > t_peak) t_peak = t_live;
}

void Uncount(void* p) {
  if (t_depth == 0 || t_paused > 0 || p == nullptr) return;
  t_live -= static_cast<int64_t>(malloc_usable_size(p));
}

}  // namespace

// Counts an operator new call; true if it is the one to fail.
bool FailThisAllocation() {
  if (t_depth == 0 || t_paused > 0) return false;
  return ++t_allocations == t_fail_at;
}

bool FailThisHookAllocation() {
  if (t_depth == 0 || t_paused > 0) return false;
  return ++t_hook_allocations == t_hook_fail_at;
}

void FailNthAllocation(size_t nth) { t_fail_at = nth; }
MeterPause::MeterPause() { ++t_paused; }
MeterPause::~MeterPause() { --t_paused; }
void FailNthHookAllocation(size_t nth) { t_hook_fail_at = nth; }

void* Allocate(size_t n) {
  if (FailThisAllocation()) throw std::bad_alloc();
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  Count(p);
  return p;
}

void* AllocateAligned(size_t n, std::align_val_t a) {
  if (FailThisAllocation()) throw std::bad_alloc();
  void* p = nullptr;
  if (posix_memalign(&p, static_cast<size_t>(a), n == 0 ? 1 : n) != 0) {
    throw std::bad_alloc();
  }
  Count(p);
  return p;
}

void AddSecret(ByteView secret) {
  if (secret.size() < 8) return;
  std::lock_guard<std::mutex> lock(g_secrets_mu);
  if (g_secret_count == kMaxSecrets) return;
  const size_t n =
      secret.size() < kMaxSecretSize ? secret.size() : kMaxSecretSize;
  std::memcpy(g_secrets[g_secret_count], secret.data(), n);
  g_secret_sizes[g_secret_count++] = n;
}

void ClearSecrets() {
  std::lock_guard<std::mutex> lock(g_secrets_mu);
  g_secret_count = 0;
}

SecretWatch::SecretWatch() {
  ++t_watching;
  t_hits = t_largest_hit = t_hit_index = 0;
}
SecretWatch::~SecretWatch() { --t_watching; }
size_t SecretWatch::hits() const { return t_hits; }
size_t SecretWatch::largest_hit() const { return t_largest_hit; }
size_t SecretWatch::secret_index() const { return t_hit_index; }

void Release(void* p) {
  CheckWiped(p);
  Uncount(p);
  std::free(p);
}

MeterScope::MeterScope() {
  if (t_depth++ == 0) {
    t_live = t_peak = 0;
    t_allocations = t_hook_allocations = 0;
    t_fail_at = t_hook_fail_at = 0;
  }
}
MeterScope::~MeterScope() {
  if (--t_depth == 0) t_fail_at = t_hook_fail_at = 0;
}
int64_t MeterScope::live() const { return t_live; }
size_t MeterScope::allocations() const { return t_allocations; }
size_t MeterScope::hook_allocations() const { return t_hook_allocations; }
size_t MeterScope::peak() const {
  return t_peak < 0 ? 0 : static_cast<size_t>(t_peak);
}

void* MeteredMalloc(size_t n) {
  if (FailThisHookAllocation()) return nullptr;
  void* p = std::malloc(n == 0 ? 1 : n);
  Count(p);
  return p;
}

void* MeteredMallocUnfailing(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  Count(p);
  return p;
}

void* AllocateNoThrow(size_t n) {
  if (FailThisAllocation()) return nullptr;
  void* p = std::malloc(n == 0 ? 1 : n);
  Count(p);
  return p;
}

void* MeteredRealloc(void* p, size_t n) {
  if (FailThisHookAllocation()) return nullptr;  // `p` stays allocated
  CheckWiped(p);  // a moved block leaves its old contents behind
  Uncount(p);
  void* q = std::realloc(p, n == 0 ? 1 : n);
  Count(q != nullptr ? q : p);
  return q;
}

void MeteredFree(void* p) { Release(p); }

}  // namespace parley::hostile

// The replaced global operators (all forms that allocate or free).
void* operator new(size_t n) { return parley::hostile::Allocate(n); }
void* operator new[](size_t n) { return parley::hostile::Allocate(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  return parley::hostile::AllocateNoThrow(n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return parley::hostile::AllocateNoThrow(n);
}
void* operator new(size_t n, std::align_val_t a) {
  return parley::hostile::AllocateAligned(n, a);
}
void* operator new[](size_t n, std::align_val_t a) {
  return parley::hostile::AllocateAligned(n, a);
}
void operator delete(void* p) noexcept { parley::hostile::Release(p); }
void operator delete[](void* p) noexcept { parley::hostile::Release(p); }
void operator delete(void* p, size_t) noexcept { parley::hostile::Release(p); }
void operator delete[](void* p, size_t) noexcept {
  parley::hostile::Release(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  parley::hostile::Release(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  parley::hostile::Release(p);
}
void operator delete(void* p, size_t, std::align_val_t) noexcept {
  parley::hostile::Release(p);
}
void operator delete[](void* p, size_t, std::align_val_t) noexcept {
  parley::hostile::Release(p);
}
// Called when a constructor throws inside a nothrow new-expression.
void operator delete(void* p, const std::nothrow_t&) noexcept {
  parley::hostile::Release(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  parley::hostile::Release(p);
}
void* operator new(size_t n, std::align_val_t a,
                   const std::nothrow_t&) noexcept {
  try {
    return parley::hostile::AllocateAligned(n, a);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void* operator new[](size_t n, std::align_val_t a,
                     const std::nothrow_t&) noexcept {
  try {
    return parley::hostile::AllocateAligned(n, a);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
void operator delete(void* p, std::align_val_t,
                     const std::nothrow_t&) noexcept {
  parley::hostile::Release(p);
}
void operator delete[](void* p, std::align_val_t,
                       const std::nothrow_t&) noexcept {
  parley::hostile::Release(p);
}
