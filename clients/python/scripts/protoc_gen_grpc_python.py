"""A buf local plugin that runs grpcio-tools' gRPC Python generator (grpc_python_out).

grpcio-tools ships protoc and the gRPC Python generator inside a Python extension, not as
a `protoc-gen-*` executable, so buf cannot call it directly. This script speaks the plugin
protocol: it reads the CodeGeneratorRequest from stdin, hands its files to the bundled
protoc as a descriptor set, and answers with the files that protoc wrote. Run it with the
interpreter of the generation venv (see clients/python/generate.sh).
"""

import os
import sys
import tempfile

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2
from grpc_tools import protoc


def main() -> int:
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    response = plugin_pb2.CodeGeneratorResponse(
        supported_features=plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
    )
    with tempfile.TemporaryDirectory() as tmp:
        descriptor_set = os.path.join(tmp, "request.binpb")
        with open(descriptor_set, "wb") as f:
            f.write(descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString())
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        args = ["grpc_tools.protoc", f"--descriptor_set_in={descriptor_set}", f"--grpc_python_out={out}"]
        if request.parameter:
            args.append(f"--grpc_python_opt={request.parameter}")
        args.extend(request.file_to_generate)
        if protoc.main(args) != 0:
            response.error = "grpc_tools.protoc failed (see its message above)"
        else:
            for directory, _, names in sorted(os.walk(out)):
                for name in sorted(names):
                    path = os.path.join(directory, name)
                    with open(path, encoding="utf-8") as f:
                        response.file.add(name=os.path.relpath(path, out), content=f.read())
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main())
