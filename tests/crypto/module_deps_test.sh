#!/usr/bin/env bash
# Each backend module links only its own crypto library, and exports only
# the backend entry points.
set -euo pipefail
fail=0
needed() { readelf -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; }
check() {  # module, must-have regex, must-not regex
  local deps
  deps=$(needed "$1")
  if ! grep -Eq "$2" <<<"$deps"; then echo "FAIL: $1 does not link $2"; fail=1; fi
  if grep -Eq "$3" <<<"$deps"; then echo "FAIL: $1 links $3"; fail=1; fi
  if ! grep -q '^libabsl_' <<<"$deps"; then echo "FAIL: $1 lacks shared Abseil"; fail=1; fi
  local exported
  exported=$(nm -D --defined-only "$1" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort | tr '\n' ' ')
  if [[ "$exported" != "parley_crypto_backend_abi_version parley_crypto_backend_create parley_crypto_backend_name " ]]; then
    echo "FAIL: $1 exports: $exported"; fail=1
  fi
  echo "$1: $(tr '\n' ' ' <<<"$deps")"
}
check backends/openssl/libparley_crypto_openssl.so '^libcrypto\.so\.3$' 'crypto\+\+|^libssl'
check backends/cryptopp/libparley_crypto_cryptopp.so '^libcrypto\+\+\.so' '^libcrypto\.so|^libssl'
exit $fail
