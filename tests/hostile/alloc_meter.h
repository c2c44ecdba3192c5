// Heap metering for the hostile-server suite: this library replaces the
// global operator new/delete of the test binary, and while a thread has a
// MeterScope open, counts the bytes that thread holds live and their peak.
// The server runs on another thread, so a scenario's figure is the
// client's memory alone.
#ifndef PARLEY_TESTS_HOSTILE_ALLOC_METER_H_
#define PARLEY_TESTS_HOSTILE_ALLOC_METER_H_

#include <cstddef>
#include <cstdint>
#include <new>

namespace parley::hostile {

class MeterScope {
 public:
  MeterScope();
  ~MeterScope();
  MeterScope(const MeterScope&) = delete;
  MeterScope& operator=(const MeterScope&) = delete;
  // Peak of the bytes this thread allocated (and did not free) since the
  // scope opened.
  size_t peak() const;
};

// For C allocation hooks (libssh2_session_init_ex): malloc and free that
// count like operator new and delete.
void* MeteredMalloc(size_t n);
void* MeteredRealloc(void* p, size_t n);
void MeteredFree(void* p);

// What the replaced operators call.
void* Allocate(size_t n);
void* AllocateAligned(size_t n, std::align_val_t a);
void Release(void* p);

}  // namespace parley::hostile

#endif  // PARLEY_TESTS_HOSTILE_ALLOC_METER_H_
