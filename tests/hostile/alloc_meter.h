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

#include "core/base/bytes.h"

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
  // Bytes allocated since the scope opened and not freed yet.
  int64_t live() const;
  // Allocations since the scope opened: operator new, and the C hooks.
  size_t allocations() const;
  size_t hook_allocations() const;
};

// Fault injection, inside a MeterScope: the `nth` allocation (1-based,
// counted from the scope's opening) on this thread through operator new
// throws std::bad_alloc, or through MeteredMalloc / MeteredRealloc returns
// nullptr. 0 disarms.
void FailNthAllocation(size_t nth);
void FailNthHookAllocation(size_t nth);

// While one is open, this thread's allocations and frees are not metered
// (nor failed): the test's own bookkeeping, which outlives the scope.
class MeterPause {
 public:
  MeterPause();
  ~MeterPause();
  MeterPause(const MeterPause&) = delete;
  MeterPause& operator=(const MeterPause&) = delete;
};

// Secret watch. Secrets are registered process-wide (any thread may add
// one: a test its password, the test server the session keys it derived).
// While a thread watches, every block it frees (operator delete,
// MeteredFree, the old block of MeteredRealloc) is searched for every
// registered secret first; a block still holding one counts as a hit:
// memory returned to the allocator without being wiped.
void AddSecret(ByteView secret);  // secrets shorter than 8 bytes are ignored
void ClearSecrets();
class SecretWatch {
 public:
  SecretWatch();  // resets this thread's hits
  ~SecretWatch();
  SecretWatch(const SecretWatch&) = delete;
  SecretWatch& operator=(const SecretWatch&) = delete;
  size_t hits() const;
  // The size of the largest block hit and the index (in AddSecret order)
  // of a secret it held, to tell the culprit.
  size_t largest_hit() const;
  size_t secret_index() const;
};

// For C allocation hooks (libssh2_session_init_ex): malloc and free that
// count like operator new and delete.
void* MeteredMalloc(size_t n);
void* MeteredRealloc(void* p, size_t n);
// As MeteredMalloc, but never failed by fault injection nor counted as a
// hook allocation (what the program allocates for the library to free).
void* MeteredMallocUnfailing(size_t n);
void MeteredFree(void* p);

// What the replaced operators call.
void* Allocate(size_t n);
void* AllocateAligned(size_t n, std::align_val_t a);
void* AllocateNoThrow(size_t n);
void Release(void* p);

}  // namespace parley::hostile

#endif  // PARLEY_TESTS_HOSTILE_ALLOC_METER_H_
