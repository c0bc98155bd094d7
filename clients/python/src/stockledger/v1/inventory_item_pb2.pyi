import datetime

from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InventoryItem(_message.Message):
    __slots__ = ("id", "sku", "cost", "country_code_of_origin", "province_code_of_origin", "harmonized_system_code", "country_harmonized_system_codes", "tracked", "requires_shipping", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_OF_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    PROVINCE_CODE_OF_ORIGIN_FIELD_NUMBER: _ClassVar[int]
    HARMONIZED_SYSTEM_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_HARMONIZED_SYSTEM_CODES_FIELD_NUMBER: _ClassVar[int]
    TRACKED_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_SHIPPING_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    sku: str
    cost: str
    country_code_of_origin: str
    province_code_of_origin: str
    harmonized_system_code: str
    country_harmonized_system_codes: _containers.RepeatedCompositeFieldContainer[CountryHarmonizedSystemCode]
    tracked: bool
    requires_shipping: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., sku: _Optional[str] = ..., cost: _Optional[str] = ..., country_code_of_origin: _Optional[str] = ..., province_code_of_origin: _Optional[str] = ..., harmonized_system_code: _Optional[str] = ..., country_harmonized_system_codes: _Optional[_Iterable[_Union[CountryHarmonizedSystemCode, _Mapping]]] = ..., tracked: _Optional[bool] = ..., requires_shipping: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CountryHarmonizedSystemCode(_message.Message):
    __slots__ = ("harmonized_system_code", "country_code")
    HARMONIZED_SYSTEM_CODE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_CODE_FIELD_NUMBER: _ClassVar[int]
    harmonized_system_code: str
    country_code: str
    def __init__(self, harmonized_system_code: _Optional[str] = ..., country_code: _Optional[str] = ...) -> None: ...

class CreateInventoryItemRequest(_message.Message):
    __slots__ = ("inventory_item",)
    INVENTORY_ITEM_FIELD_NUMBER: _ClassVar[int]
    inventory_item: InventoryItem
    def __init__(self, inventory_item: _Optional[_Union[InventoryItem, _Mapping]] = ...) -> None: ...

class CreateInventoryItemResponse(_message.Message):
    __slots__ = ("inventory_item",)
    INVENTORY_ITEM_FIELD_NUMBER: _ClassVar[int]
    inventory_item: InventoryItem
    def __init__(self, inventory_item: _Optional[_Union[InventoryItem, _Mapping]] = ...) -> None: ...

class GetInventoryItemRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetInventoryItemResponse(_message.Message):
    __slots__ = ("inventory_item",)
    INVENTORY_ITEM_FIELD_NUMBER: _ClassVar[int]
    inventory_item: InventoryItem
    def __init__(self, inventory_item: _Optional[_Union[InventoryItem, _Mapping]] = ...) -> None: ...

class BatchGetInventoryItemsRequest(_message.Message):
    __slots__ = ("ids",)
    IDS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ids: _Optional[_Iterable[str]] = ...) -> None: ...

class BatchGetInventoryItemsResponse(_message.Message):
    __slots__ = ("inventory_items",)
    INVENTORY_ITEMS_FIELD_NUMBER: _ClassVar[int]
    inventory_items: _containers.RepeatedCompositeFieldContainer[InventoryItem]
    def __init__(self, inventory_items: _Optional[_Iterable[_Union[InventoryItem, _Mapping]]] = ...) -> None: ...

class ListInventoryItemsRequest(_message.Message):
    __slots__ = ("limit", "cursor", "sku", "updated_after", "ids")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    limit: int
    cursor: str
    sku: str
    updated_after: _timestamp_pb2.Timestamp
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, limit: _Optional[int] = ..., cursor: _Optional[str] = ..., sku: _Optional[str] = ..., updated_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListInventoryItemsResponse(_message.Message):
    __slots__ = ("inventory_items", "cursor")
    INVENTORY_ITEMS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    inventory_items: _containers.RepeatedCompositeFieldContainer[InventoryItem]
    cursor: str
    def __init__(self, inventory_items: _Optional[_Iterable[_Union[InventoryItem, _Mapping]]] = ..., cursor: _Optional[str] = ...) -> None: ...

class UpdateInventoryItemRequest(_message.Message):
    __slots__ = ("inventory_item", "update_mask")
    INVENTORY_ITEM_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    inventory_item: InventoryItem
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, inventory_item: _Optional[_Union[InventoryItem, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateInventoryItemResponse(_message.Message):
    __slots__ = ("inventory_item",)
    INVENTORY_ITEM_FIELD_NUMBER: _ClassVar[int]
    inventory_item: InventoryItem
    def __init__(self, inventory_item: _Optional[_Union[InventoryItem, _Mapping]] = ...) -> None: ...
