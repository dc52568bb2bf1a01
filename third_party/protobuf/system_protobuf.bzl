"""A repository wrapping Debian's protoc and libprotobuf for native proto rules."""

def _system_protobuf_impl(ctx):
    protoc = ctx.which("protoc")
    if not protoc:
        fail("protoc not found on PATH: install Debian's protobuf-compiler (./rtcsim setup)")
    ctx.symlink(protoc, "protoc.bin")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD.bazel", """
package(default_visibility = ["//visibility:public"])

# The system compiler, wrapped so Bazel treats it as an executable target.
sh_binary(
    name = "protoc",
    srcs = ["protoc.bin"],
)

cc_library(
    name = "protobuf",
    linkopts = ["-lprotobuf", "-lpthread"],
)

proto_lang_toolchain(
    name = "cc_toolchain",
    command_line = "--cpp_out=$(OUT)",
    runtime = ":protobuf",
)
""")

system_protobuf = repository_rule(
    implementation = _system_protobuf_impl,
    local = True,
    environ = ["PATH"],
)
