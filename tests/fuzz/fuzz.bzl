"""kvs_fuzz_target: one fuzz entry point, built three ways."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

def kvs_fuzz_target(name, deps, mutations = 200, size = "small"):
    """Declares the targets of the fuzz entry point in <name>_fuzzer.cc.

    - <name>_fuzz_lib: the entry point (LLVMFuzzerTestOneInput), shared by the
      two below;
    - <name>_fuzzer: the libFuzzer binary. Tagged manual: it links only with
      --config=fuzz (libFuzzer supplies main), so `bazel test //...` skips it;
    - <name>_corpus_test: a cc_test replaying corpus/<name>/ and `mutations`
      deterministic mutations of each seed through the entry point.
    """
    cc_library(
        name = name + "_fuzz_lib",
        testonly = True,
        srcs = [name + "_fuzzer.cc"],
        deps = [":fuzz_util"] + deps,
        alwayslink = True,
    )
    cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        tags = ["manual"],
        deps = [":" + name + "_fuzz_lib"],
    )
    cc_test(
        name = name + "_corpus_test",
        size = size,
        srcs = ["corpus_replay_test.cc"],
        args = [
            "tests/fuzz/corpus/" + name,
            str(mutations),
        ],
        data = native.glob(["corpus/" + name + "/*"]),
        deps = [
            ":" + name + "_fuzz_lib",
            "//util:base",
            "@system//:gtest",
        ],
    )
