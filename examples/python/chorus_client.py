#!/usr/bin/env python3
"""A Chorus client in Python over gRPC (docs/python-client.md).

Lists what the cluster serves (models, packs, fusion methods), then streams one fused generation and prints each
token as it arrives. Needs Debian's python3-grpcio and python3-protobuf, and stubs generated from protos/chorus.proto:

    protoc -I protos --python_out=examples/python --grpc_out=examples/python \
        --plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin protos/chorus.proto

Usage: chorus_client.py ENDPOINT PACK_OR_MODEL PROMPT [MAX_TOKENS]   (ENDPOINT like 127.0.0.1:5080;
the API key, if the cluster needs one, comes from the environment variable CHORUS_API_KEY)
"""
import json
import os
import sys

import grpc

import chorus_pb2
import chorus_pb2_grpc


def main(endpoint, name, prompt, max_tokens):
    key = os.environ.get("CHORUS_API_KEY")
    metadata = [("authorization", "Bearer " + key)] if key else []
    with grpc.insecure_channel(endpoint) as channel:
        chorus = chorus_pb2_grpc.ChorusStub(channel)

        listed = chorus.ListModels(chorus_pb2.ListModelsRequest(), metadata=metadata, timeout=30)
        print("models:", ", ".join(m.id for m in listed.models))
        for pack in listed.packs:
            print("pack %s: %s over %s" % (pack.name, pack.method, ", ".join(m.model for m in pack.members)))
        print("methods:", ", ".join(m.name for m in listed.methods))

        # a pack by name, else one served model; greedy, with OpenAI's presence and frequency penalties
        members = chorus_pb2.Members()
        if any(p.name == name for p in listed.packs):
            members.pack = name
        else:
            members.models.append(name)
        request = chorus_pb2.GenerateRequest(
            members=members,
            prompt=prompt,
            sampling=chorus_pb2.Sampling(temperature=0, presence_penalty=0.5, frequency_penalty=0.5),
            limits=chorus_pb2.Limits(max_tokens=max_tokens),
        )
        try:
            for event in chorus.Generate(request, metadata=metadata, timeout=120):
                kind = event.WhichOneof("event")
                if kind == "started":
                    print("session %s, method %s, members %s"
                          % (event.started.session, event.started.method, ", ".join(m.model for m in event.started.members)))
                elif kind == "token":
                    print("token %d: %r" % (event.token.index, event.token.text))
                elif kind == "finished":
                    f = event.finished
                    print("finished: %s (%s), %d prompt + %d completion tokens"
                          % (f.reason, chorus_pb2.FinishReason.Name(f.finish_reason), f.usage.prompt_tokens, f.usage.completion_tokens))
                    print("text:", json.dumps(f.text))
        except grpc.RpcError as e:
            # Unavailable and ResourceExhausted are worth a retry after a pause; the detail says what to change otherwise
            print("error: %s: %s" % (e.code().name, e.details()), file=sys.stderr)
            return 1

        # a request the server refuses names the problem and the fix
        bad = chorus_pb2.GenerateRequest(members=members, prompt=prompt, sampling=chorus_pb2.Sampling(presence_penalty=5))
        try:
            for _ in chorus.Generate(bad, metadata=metadata, timeout=30):
                pass
        except grpc.RpcError as e:
            print("refused: %s: %s" % (e.code().name, e.details()))
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 16))
