#!/usr/bin/env bash
# libparley.so exports exactly the functions its headers declare (libssh2_*
# and parley_*), has the soname tools/install expects, and links no crypto
# library: the backends are loaded at run time.
set -euo pipefail
lib=core/capi/libparley.so
fail=0
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sort -u)
bad=$(grep -Ev '^(libssh2_|parley_)' <<<"$exported" || true)
if [[ -n "$bad" ]]; then echo "FAIL: unexpected exports:"; echo "$bad"; fail=1; fi
declared=$(cat core/capi/include/libssh2.h core/capi/include/parley_libssh2.h |
  tr '\n' ' ' | grep -oE '\b(libssh2|parley)_[a-z0-9_]+\(' | tr -d '(' | sort -u)
for f in $declared; do
  # Function-like macros (libssh2_channel_read(...)) are not symbols.
  if grep -Eq "#define $f\(" core/capi/include/*.h; then continue; fi
  if ! grep -qx "$f" <<<"$exported"; then echo "FAIL: $f declared, not exported"; fail=1; fi
done
for f in $exported; do
  if ! grep -qx "$f" <<<"$declared"; then echo "FAIL: $f exported, not declared"; fail=1; fi
done
needed=$(readelf -d "$lib" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
if grep -Eq '^libcrypto|^libssl|crypto\+\+|^libssh2' <<<"$needed"; then
  echo "FAIL: $lib links: $needed"; fail=1
fi
if ! readelf -d "$lib" | grep -q 'Library soname: \[libparley.so.0\]'; then
  echo "FAIL: soname is not libparley.so.0"; fail=1
fi
# Coverage of libssh2 1.11's libssh2.h: every function.
not_yet='^$'
total=0; have=0; missing=()
while read -r f; do
  [[ -z "$f" || "$f" == \#* ]] && continue
  total=$((total + 1))
  if grep -qx "$f" <<<"$exported"; then have=$((have + 1)); continue; fi
  missing+=("$f")
  if ! grep -Eq "$not_yet" <<<"$f"; then
    echo "FAIL: libssh2 1.11 function $f is not exported"; fail=1
  fi
done < core/capi/libssh2_1_11_functions.txt
echo "libssh2 1.11 libssh2.h: $have of $total functions exported; not yet: ${missing[*]:-none}"
echo "$(wc -l <<<"$exported") exported functions"
exit $fail
