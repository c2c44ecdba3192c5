#include "tests/hostile/alloc_meter.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

namespace parley::hostile {
namespace {

thread_local int t_depth = 0;
thread_local int64_t t_live = 0;
thread_local int64_t t_peak = 0;

void Count(void* p) {
  if (t_depth == 0 || p == nullptr) return;
  t_live += static_cast<int64_t>(malloc_usable_size(p));
  if (t_live > t_peak) t_peak = t_live;
}

void Uncount(void* p) {
  if (t_depth == 0 || p == nullptr) return;
  t_live -= static_cast<int64_t>(malloc_usable_size(p));
}

}  // namespace

void* Allocate(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) throw std::bad_alloc();
  Count(p);
  return p;
}

void* AllocateAligned(size_t n, std::align_val_t a) {
  void* p = nullptr;
  if (posix_memalign(&p, static_cast<size_t>(a), n == 0 ? 1 : n) != 0) {
    throw std::bad_alloc();
  }
  Count(p);
  return p;
}

void Release(void* p) {
  Uncount(p);
  std::free(p);
}

MeterScope::MeterScope() {
  if (t_depth++ == 0) t_live = t_peak = 0;
}
MeterScope::~MeterScope() { --t_depth; }
size_t MeterScope::peak() const {
  return t_peak < 0 ? 0 : static_cast<size_t>(t_peak);
}

void* MeteredMalloc(size_t n) {
  void* p = std::malloc(n == 0 ? 1 : n);
  Count(p);
  return p;
}

void* MeteredRealloc(void* p, size_t n) {
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
  return parley::hostile::MeteredMalloc(n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  return parley::hostile::MeteredMalloc(n);
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
