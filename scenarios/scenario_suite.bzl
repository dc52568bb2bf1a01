"""scenario_suite: every *.textproto of a folder becomes its own bazel test.

Each test runs the scenario twice in fresh processes (rtcsim_scenario
check): the trace hashes must match and the expectations must pass. Its
files (pcapng per host, trace.json, metrics, summary.json, report.html) go
to the test's undeclared outputs (bazel-testlogs/<pkg>/<name>/test.outputs).

    load("//scenarios:scenario_suite.bzl", "scenario_suite")
    scenario_suite(
        name = "nat",
        srcs = glob(["*.textproto"]),
        # Optional, per file (by base name):
        seeds = {"lossy": "1-40"},          # a sweep, split over the shards
        shard_count = {"lossy": 4},
        expect_failure = {"no-turn": "never connected"},
        size = {"hundred-peers": "large"},
    )
"""

def _shell_word(value):
    # Bazel splits test args like a Bourne shell: quote each one, so an
    # empty value stays an argument and a message keeps its spaces.
    return "'" + value.replace("'", "'\\''") + "'"

def scenario_suite(name, srcs, seeds = {}, shard_count = {}, expect_failure = {}, size = {}, tags = []):
    tests = []
    for src in srcs:
        if not src.endswith(".textproto"):
            fail("scenario_suite: %s is not a .textproto file" % src)
        base = src[:-len(".textproto")]
        args = [
            "$(location //scenarios/runner:rtcsim_scenario)",
            "$(location %s)" % src,
            _shell_word(seeds.get(base, "")),
            _shell_word(expect_failure.get(base, "")),
        ]
        native.sh_test(
            name = base,
            srcs = ["//scenarios:scenario_test.sh"],
            args = args,
            data = [
                src,
                "//scenarios/runner:rtcsim_scenario",
            ],
            size = size.get(base, "medium"),
            shard_count = shard_count.get(base, None),
            tags = tags + ["scenario"],
        )
        tests.append(":" + base)
    native.test_suite(name = name, tests = tests, tags = tags)
