// Every generated message, enum and service of stockledger.v1 (and the google.rpc error
// details), for use with the raw clients.
export * from "./gen/stockledger/v1/inventory_pb.js";
export * from "./gen/stockledger/v1/inventory_item_pb.js";
export * from "./gen/stockledger/v1/location_pb.js";
export * from "./gen/stockledger/v1/reservation_pb.js";
export * from "./gen/stockledger/v1/webhook_pb.js";
export * from "./gen/google/rpc/error_details_pb.js";
