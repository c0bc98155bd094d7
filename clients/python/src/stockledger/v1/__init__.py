"""Generated stubs of the stockledger.v1 protos (scripts/generate-clients.sh; do not edit the
*_pb2*.py files by hand): messages in ``inventory_pb2``, ``inventory_item_pb2`` and
``location_pb2``, gRPC stubs in the matching ``*_pb2_grpc`` modules."""
