"""Fuzz targets: a regression test in the ordinary suite (seeds plus
deterministic mutations, tests/fuzz/fuzz_main.cc); tools/fuzz builds the
same source with libFuzzer for long runs (it asks Bazel for the sources of
`name`_fuzz_lib)."""

load("@rules_cc//cc:defs.bzl", "cc_library", "cc_test")

def parley_fuzz_target(name, deps, iterations = 20000):
    """`name`_fuzz.cc against corpus/`name`/, `iterations` mutations."""
    cc_library(
        name = name + "_fuzz_lib",
        testonly = 1,
        srcs = [name + "_fuzz.cc"],
        deps = deps,
        alwayslink = 1,
    )
    cc_test(
        name = name + "_fuzz",
        size = "small",
        srcs = ["fuzz_main.cc"],
        args = ["tests/fuzz/corpus/" + name],
        env = {"PARLEY_FUZZ_ITERATIONS": str(iterations)},
        data = native.glob(["corpus/" + name + "/*"]),
        deps = [":" + name + "_fuzz_lib"],
    )
