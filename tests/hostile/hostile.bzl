"""A test of the hostile-server suite, once per crypto backend module the
client (Parley's C API) loads; the test server always uses the linked
OpenSSL backend."""

load("@rules_cc//cc:defs.bzl", "cc_test")

_COMMON_DEPS = [
    ":hostile_server",
    ":libssh2_client",
    "@system//:absl",
    "@system//:gtest_main",
]

def hostile_test(name, deps = [], backends = ["openssl", "cryptopp"], **kwargs):
    """`name`.cc as `name` (OpenSSL) and `name` with _<backend> (others)."""
    for backend in backends:
        cc_test(
            name = name if backend == "openssl" else name.replace("_test", "_%s_test" % backend),
            srcs = [name + ".cc"],
            data = [
                "//backends/cryptopp:libparley_crypto_cryptopp.so",
                "//backends/openssl:libparley_crypto_openssl.so",
            ],
            env = {"PARLEY_CRYPTO": backend},
            # alloc_meter's operator new must be the executable's own, ahead
            # of the sanitizers' runtime in symbol lookup.
            linkstatic = 1,
            deps = _COMMON_DEPS + deps,
            **kwargs
        )
