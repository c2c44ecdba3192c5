"""How Parley's responder plugins are built."""

load("@rules_cc//cc:defs.bzl", "cc_binary")

def parley_responder_plugin(name, short_name, srcs, deps, **kwargs):
    """A responder plugin: libparley_responder_<short_name>.so.

    It exports only the two ABI entry points (plugins/plugin.lds) and must
    resolve every symbol at link time (no undefined references left for the
    program that loads it).
    """
    if name != "libparley_responder_%s.so" % short_name:
        fail("a plugin's file must be libparley_responder_<short_name>.so")
    cc_binary(
        name = name,
        srcs = srcs,
        additional_linker_inputs = ["//plugins:plugin.lds"],
        linkopts = [
            "-Wl,--version-script=$(location //plugins:plugin.lds)",
            "-Wl,--no-undefined",
        ],
        linkshared = 1,
        deps = deps + [
            "//core/plugin:abi",
            "//plugins/common:plugin_util",
        ],
        **kwargs
    )
