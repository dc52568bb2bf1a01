"""fuzz_test: one fuzz target, two ways to run it.

`bazel test` runs `<name>` — the corpus plus deterministic mutations of it,
through fuzz_corpus_main — so every parser is exercised on every CI run.
`bazel build --config=fuzz //pkg:<name>_libfuzzer` builds a coverage-guided
libFuzzer binary from the same source (clang).
"""

def fuzz_test(name, srcs, corpus, deps = [], mutations = 20000, **kwargs):
    native.cc_test(
        name = name,
        srcs = srcs,
        args = [str(mutations), "$(locations %s)" % corpus],
        data = [corpus],
        deps = deps + ["//stack/testing:fuzz_corpus_main"],
        **kwargs
    )
    native.cc_binary(
        name = name + "_libfuzzer",
        srcs = srcs,
        deps = deps,
        tags = ["manual", "fuzzer"],
        testonly = True,
    )
