import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class InventoryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVENTORY_STATE_UNSPECIFIED: _ClassVar[InventoryState]
    INVENTORY_STATE_NONE: _ClassVar[InventoryState]
    INVENTORY_STATE_IN_STOCK: _ClassVar[InventoryState]
    INVENTORY_STATE_SOLD: _ClassVar[InventoryState]
    INVENTORY_STATE_RETURNED_BY_CUSTOMER: _ClassVar[InventoryState]
    INVENTORY_STATE_RESERVED_FOR_SALE: _ClassVar[InventoryState]
    INVENTORY_STATE_SOLD_ONLINE: _ClassVar[InventoryState]
    INVENTORY_STATE_ORDERED_FROM_VENDOR: _ClassVar[InventoryState]
    INVENTORY_STATE_RECEIVED_FROM_VENDOR: _ClassVar[InventoryState]
    INVENTORY_STATE_IN_TRANSIT_TO: _ClassVar[InventoryState]
    INVENTORY_STATE_IN_TRANSIT: _ClassVar[InventoryState]
    INVENTORY_STATE_WASTE: _ClassVar[InventoryState]
    INVENTORY_STATE_UNLINKED_RETURN: _ClassVar[InventoryState]
    INVENTORY_STATE_COMPOSED: _ClassVar[InventoryState]
    INVENTORY_STATE_DECOMPOSED: _ClassVar[InventoryState]
    INVENTORY_STATE_SUPPORTED_BY_NEWER_VERSION: _ClassVar[InventoryState]
    INVENTORY_STATE_CUSTOM: _ClassVar[InventoryState]
    INVENTORY_STATE_UNTRACKED: _ClassVar[InventoryState]
    INVENTORY_STATE_DAMAGED: _ClassVar[InventoryState]
    INVENTORY_STATE_QUALITY_CONTROL: _ClassVar[InventoryState]
    INVENTORY_STATE_SAFETY_STOCK: _ClassVar[InventoryState]

class InventoryChangeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVENTORY_CHANGE_TYPE_UNSPECIFIED: _ClassVar[InventoryChangeType]
    INVENTORY_CHANGE_TYPE_ADJUSTMENT: _ClassVar[InventoryChangeType]
    INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT: _ClassVar[InventoryChangeType]
    INVENTORY_CHANGE_TYPE_TRANSFER: _ClassVar[InventoryChangeType]

class Product(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRODUCT_UNSPECIFIED: _ClassVar[Product]
    PRODUCT_EXTERNAL_API: _ClassVar[Product]
    PRODUCT_DASHBOARD: _ClassVar[Product]
    PRODUCT_POINT_OF_SALE: _ClassVar[Product]
    PRODUCT_SQUARE_POS: _ClassVar[Product]
    PRODUCT_BILLING: _ClassVar[Product]
    PRODUCT_APPOINTMENTS: _ClassVar[Product]
    PRODUCT_INVOICES: _ClassVar[Product]
    PRODUCT_ONLINE_STORE: _ClassVar[Product]
    PRODUCT_PAYROLL: _ClassVar[Product]
    PRODUCT_ITEM_LIBRARY_IMPORT: _ClassVar[Product]
    PRODUCT_OTHER: _ClassVar[Product]

class SortOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SORT_ORDER_UNSPECIFIED: _ClassVar[SortOrder]
    SORT_ORDER_OLDEST_FIRST: _ClassVar[SortOrder]
    SORT_ORDER_NEWEST_FIRST: _ClassVar[SortOrder]

class WatchStart(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WATCH_START_UNSPECIFIED: _ClassVar[WatchStart]
    WATCH_START_NOW: _ClassVar[WatchStart]
    WATCH_START_BEGINNING: _ClassVar[WatchStart]

class InventoryAdjustmentReasonType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVENTORY_ADJUSTMENT_REASON_TYPE_UNSPECIFIED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_RECEIVED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_DAMAGED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_THEFT: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_LOST: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_RETURNED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_SPOILAGE_WASTE: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_SAMPLES_PROMOTIONAL: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_INTERNAL_USE: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_VENDOR_RETURN: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_PRODUCTION_WASTE: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_SALE: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_RECOUNT: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_TRANSFER: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_IN_TRANSIT: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_CANCELED_SALE: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_CUSTOM: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_CORRECTION: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_CYCLE_COUNT_AVAILABLE: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_MOVEMENT_CANCELED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_MOVEMENT_CREATED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_MOVEMENT_RECEIVED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_MOVEMENT_UPDATED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_OTHER: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_PROMOTION: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_QUALITY_CONTROL: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_RESERVATION_CREATED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_RESERVATION_DELETED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_RESERVATION_UPDATED: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_RESTOCK: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_SAFETY_STOCK: _ClassVar[InventoryAdjustmentReasonType]
    INVENTORY_ADJUSTMENT_REASON_TYPE_SHRINKAGE: _ClassVar[InventoryAdjustmentReasonType]

class InventoryAdjustmentReasonDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVENTORY_ADJUSTMENT_REASON_DIRECTION_UNSPECIFIED: _ClassVar[InventoryAdjustmentReasonDirection]
    INVENTORY_ADJUSTMENT_REASON_DIRECTION_INCREASE: _ClassVar[InventoryAdjustmentReasonDirection]
    INVENTORY_ADJUSTMENT_REASON_DIRECTION_DECREASE: _ClassVar[InventoryAdjustmentReasonDirection]

class InventoryAlertKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INVENTORY_ALERT_KIND_UNSPECIFIED: _ClassVar[InventoryAlertKind]
    INVENTORY_ALERT_KIND_LOW: _ClassVar[InventoryAlertKind]
    INVENTORY_ALERT_KIND_RECOVERED: _ClassVar[InventoryAlertKind]
INVENTORY_STATE_UNSPECIFIED: InventoryState
INVENTORY_STATE_NONE: InventoryState
INVENTORY_STATE_IN_STOCK: InventoryState
INVENTORY_STATE_SOLD: InventoryState
INVENTORY_STATE_RETURNED_BY_CUSTOMER: InventoryState
INVENTORY_STATE_RESERVED_FOR_SALE: InventoryState
INVENTORY_STATE_SOLD_ONLINE: InventoryState
INVENTORY_STATE_ORDERED_FROM_VENDOR: InventoryState
INVENTORY_STATE_RECEIVED_FROM_VENDOR: InventoryState
INVENTORY_STATE_IN_TRANSIT_TO: InventoryState
INVENTORY_STATE_IN_TRANSIT: InventoryState
INVENTORY_STATE_WASTE: InventoryState
INVENTORY_STATE_UNLINKED_RETURN: InventoryState
INVENTORY_STATE_COMPOSED: InventoryState
INVENTORY_STATE_DECOMPOSED: InventoryState
INVENTORY_STATE_SUPPORTED_BY_NEWER_VERSION: InventoryState
INVENTORY_STATE_CUSTOM: InventoryState
INVENTORY_STATE_UNTRACKED: InventoryState
INVENTORY_STATE_DAMAGED: InventoryState
INVENTORY_STATE_QUALITY_CONTROL: InventoryState
INVENTORY_STATE_SAFETY_STOCK: InventoryState
INVENTORY_CHANGE_TYPE_UNSPECIFIED: InventoryChangeType
INVENTORY_CHANGE_TYPE_ADJUSTMENT: InventoryChangeType
INVENTORY_CHANGE_TYPE_PHYSICAL_COUNT: InventoryChangeType
INVENTORY_CHANGE_TYPE_TRANSFER: InventoryChangeType
PRODUCT_UNSPECIFIED: Product
PRODUCT_EXTERNAL_API: Product
PRODUCT_DASHBOARD: Product
PRODUCT_POINT_OF_SALE: Product
PRODUCT_SQUARE_POS: Product
PRODUCT_BILLING: Product
PRODUCT_APPOINTMENTS: Product
PRODUCT_INVOICES: Product
PRODUCT_ONLINE_STORE: Product
PRODUCT_PAYROLL: Product
PRODUCT_ITEM_LIBRARY_IMPORT: Product
PRODUCT_OTHER: Product
SORT_ORDER_UNSPECIFIED: SortOrder
SORT_ORDER_OLDEST_FIRST: SortOrder
SORT_ORDER_NEWEST_FIRST: SortOrder
WATCH_START_UNSPECIFIED: WatchStart
WATCH_START_NOW: WatchStart
WATCH_START_BEGINNING: WatchStart
INVENTORY_ADJUSTMENT_REASON_TYPE_UNSPECIFIED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_RECEIVED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_DAMAGED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_THEFT: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_LOST: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_RETURNED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_SPOILAGE_WASTE: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_SAMPLES_PROMOTIONAL: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_INTERNAL_USE: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_VENDOR_RETURN: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_PRODUCTION_WASTE: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_SALE: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_RECOUNT: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_TRANSFER: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_IN_TRANSIT: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_CANCELED_SALE: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_CUSTOM: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_CORRECTION: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_CYCLE_COUNT_AVAILABLE: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_MOVEMENT_CANCELED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_MOVEMENT_CREATED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_MOVEMENT_RECEIVED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_MOVEMENT_UPDATED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_OTHER: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_PROMOTION: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_QUALITY_CONTROL: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_RESERVATION_CREATED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_RESERVATION_DELETED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_RESERVATION_UPDATED: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_RESTOCK: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_SAFETY_STOCK: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_TYPE_SHRINKAGE: InventoryAdjustmentReasonType
INVENTORY_ADJUSTMENT_REASON_DIRECTION_UNSPECIFIED: InventoryAdjustmentReasonDirection
INVENTORY_ADJUSTMENT_REASON_DIRECTION_INCREASE: InventoryAdjustmentReasonDirection
INVENTORY_ADJUSTMENT_REASON_DIRECTION_DECREASE: InventoryAdjustmentReasonDirection
INVENTORY_ALERT_KIND_UNSPECIFIED: InventoryAlertKind
INVENTORY_ALERT_KIND_LOW: InventoryAlertKind
INVENTORY_ALERT_KIND_RECOVERED: InventoryAlertKind

class SourceApplication(_message.Message):
    __slots__ = ("product", "application_id", "name")
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    product: Product
    application_id: str
    name: str
    def __init__(self, product: _Optional[_Union[Product, str]] = ..., application_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class Money(_message.Message):
    __slots__ = ("amount", "currency")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    amount: str
    currency: str
    def __init__(self, amount: _Optional[str] = ..., currency: _Optional[str] = ...) -> None: ...

class InventoryAdjustment(_message.Message):
    __slots__ = ("id", "reference_id", "from_state", "to_state", "location_id", "catalog_object_id", "catalog_object_type", "quantity", "total_price_money", "occurred_at", "created_at", "source", "employee_id", "team_member_id", "transaction_id", "refund_id", "purchase_order_id", "goods_receipt_id", "reservation_id", "reason_id", "cost_money", "vendor_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_PRICE_MONEY_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REFUND_ID_FIELD_NUMBER: _ClassVar[int]
    PURCHASE_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    GOODS_RECEIPT_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVATION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_ID_FIELD_NUMBER: _ClassVar[int]
    COST_MONEY_FIELD_NUMBER: _ClassVar[int]
    VENDOR_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    reference_id: str
    from_state: InventoryState
    to_state: InventoryState
    location_id: str
    catalog_object_id: str
    catalog_object_type: str
    quantity: str
    total_price_money: Money
    occurred_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    source: SourceApplication
    employee_id: str
    team_member_id: str
    transaction_id: str
    refund_id: str
    purchase_order_id: str
    goods_receipt_id: str
    reservation_id: str
    reason_id: InventoryAdjustmentReasonId
    cost_money: Money
    vendor_id: str
    def __init__(self, id: _Optional[str] = ..., reference_id: _Optional[str] = ..., from_state: _Optional[_Union[InventoryState, str]] = ..., to_state: _Optional[_Union[InventoryState, str]] = ..., location_id: _Optional[str] = ..., catalog_object_id: _Optional[str] = ..., catalog_object_type: _Optional[str] = ..., quantity: _Optional[str] = ..., total_price_money: _Optional[_Union[Money, _Mapping]] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[_Union[SourceApplication, _Mapping]] = ..., employee_id: _Optional[str] = ..., team_member_id: _Optional[str] = ..., transaction_id: _Optional[str] = ..., refund_id: _Optional[str] = ..., purchase_order_id: _Optional[str] = ..., goods_receipt_id: _Optional[str] = ..., reservation_id: _Optional[str] = ..., reason_id: _Optional[_Union[InventoryAdjustmentReasonId, _Mapping]] = ..., cost_money: _Optional[_Union[Money, _Mapping]] = ..., vendor_id: _Optional[str] = ...) -> None: ...

class InventoryPhysicalCount(_message.Message):
    __slots__ = ("id", "reference_id", "catalog_object_id", "catalog_object_type", "state", "location_id", "quantity", "source", "employee_id", "team_member_id", "occurred_at", "created_at", "reason_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    reference_id: str
    catalog_object_id: str
    catalog_object_type: str
    state: InventoryState
    location_id: str
    quantity: str
    source: SourceApplication
    employee_id: str
    team_member_id: str
    occurred_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    reason_id: InventoryAdjustmentReasonId
    def __init__(self, id: _Optional[str] = ..., reference_id: _Optional[str] = ..., catalog_object_id: _Optional[str] = ..., catalog_object_type: _Optional[str] = ..., state: _Optional[_Union[InventoryState, str]] = ..., location_id: _Optional[str] = ..., quantity: _Optional[str] = ..., source: _Optional[_Union[SourceApplication, _Mapping]] = ..., employee_id: _Optional[str] = ..., team_member_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason_id: _Optional[_Union[InventoryAdjustmentReasonId, _Mapping]] = ...) -> None: ...

class InventoryTransfer(_message.Message):
    __slots__ = ("id", "reference_id", "state", "from_location_id", "to_location_id", "catalog_object_id", "catalog_object_type", "quantity", "occurred_at", "created_at", "source", "employee_id", "team_member_id", "reason_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    FROM_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    TO_LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EMPLOYEE_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    reference_id: str
    state: InventoryState
    from_location_id: str
    to_location_id: str
    catalog_object_id: str
    catalog_object_type: str
    quantity: str
    occurred_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    source: SourceApplication
    employee_id: str
    team_member_id: str
    reason_id: InventoryAdjustmentReasonId
    def __init__(self, id: _Optional[str] = ..., reference_id: _Optional[str] = ..., state: _Optional[_Union[InventoryState, str]] = ..., from_location_id: _Optional[str] = ..., to_location_id: _Optional[str] = ..., catalog_object_id: _Optional[str] = ..., catalog_object_type: _Optional[str] = ..., quantity: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[_Union[SourceApplication, _Mapping]] = ..., employee_id: _Optional[str] = ..., team_member_id: _Optional[str] = ..., reason_id: _Optional[_Union[InventoryAdjustmentReasonId, _Mapping]] = ...) -> None: ...

class InventoryChange(_message.Message):
    __slots__ = ("type", "adjustment", "physical_count", "transfer", "expected_quantity")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    type: InventoryChangeType
    adjustment: InventoryAdjustment
    physical_count: InventoryPhysicalCount
    transfer: InventoryTransfer
    expected_quantity: str
    def __init__(self, type: _Optional[_Union[InventoryChangeType, str]] = ..., adjustment: _Optional[_Union[InventoryAdjustment, _Mapping]] = ..., physical_count: _Optional[_Union[InventoryPhysicalCount, _Mapping]] = ..., transfer: _Optional[_Union[InventoryTransfer, _Mapping]] = ..., expected_quantity: _Optional[str] = ...) -> None: ...

class InventoryCount(_message.Message):
    __slots__ = ("catalog_object_id", "catalog_object_type", "state", "location_id", "quantity", "calculated_at", "is_estimated")
    CATALOG_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    CALCULATED_AT_FIELD_NUMBER: _ClassVar[int]
    IS_ESTIMATED_FIELD_NUMBER: _ClassVar[int]
    catalog_object_id: str
    catalog_object_type: str
    state: InventoryState
    location_id: str
    quantity: str
    calculated_at: _timestamp_pb2.Timestamp
    is_estimated: bool
    def __init__(self, catalog_object_id: _Optional[str] = ..., catalog_object_type: _Optional[str] = ..., state: _Optional[_Union[InventoryState, str]] = ..., location_id: _Optional[str] = ..., quantity: _Optional[str] = ..., calculated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_estimated: _Optional[bool] = ...) -> None: ...

class BatchChangeInventoryRequest(_message.Message):
    __slots__ = ("idempotency_key", "changes", "ignore_unchanged_counts", "forbid_negative_counts")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    IGNORE_UNCHANGED_COUNTS_FIELD_NUMBER: _ClassVar[int]
    FORBID_NEGATIVE_COUNTS_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    changes: _containers.RepeatedCompositeFieldContainer[InventoryChange]
    ignore_unchanged_counts: bool
    forbid_negative_counts: bool
    def __init__(self, idempotency_key: _Optional[str] = ..., changes: _Optional[_Iterable[_Union[InventoryChange, _Mapping]]] = ..., ignore_unchanged_counts: _Optional[bool] = ..., forbid_negative_counts: _Optional[bool] = ...) -> None: ...

class BatchChangeInventoryResponse(_message.Message):
    __slots__ = ("counts", "changes")
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[InventoryCount]
    changes: _containers.RepeatedCompositeFieldContainer[InventoryChange]
    def __init__(self, counts: _Optional[_Iterable[_Union[InventoryCount, _Mapping]]] = ..., changes: _Optional[_Iterable[_Union[InventoryChange, _Mapping]]] = ...) -> None: ...

class ImportInventoryChangesRequest(_message.Message):
    __slots__ = ("changes", "source")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[InventoryChange]
    source: SourceApplication
    def __init__(self, changes: _Optional[_Iterable[_Union[InventoryChange, _Mapping]]] = ..., source: _Optional[_Union[SourceApplication, _Mapping]] = ...) -> None: ...

class RefusedInventoryChange(_message.Message):
    __slots__ = ("index", "field", "reason", "description")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    index: int
    field: str
    reason: str
    description: str
    def __init__(self, index: _Optional[int] = ..., field: _Optional[str] = ..., reason: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class ImportInventoryChangesResponse(_message.Message):
    __slots__ = ("applied", "already_present", "refused", "held_back", "refused_changes")
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    ALREADY_PRESENT_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    HELD_BACK_FIELD_NUMBER: _ClassVar[int]
    REFUSED_CHANGES_FIELD_NUMBER: _ClassVar[int]
    applied: int
    already_present: int
    refused: int
    held_back: int
    refused_changes: _containers.RepeatedCompositeFieldContainer[RefusedInventoryChange]
    def __init__(self, applied: _Optional[int] = ..., already_present: _Optional[int] = ..., refused: _Optional[int] = ..., held_back: _Optional[int] = ..., refused_changes: _Optional[_Iterable[_Union[RefusedInventoryChange, _Mapping]]] = ...) -> None: ...

class BatchRetrieveInventoryCountsRequest(_message.Message):
    __slots__ = ("catalog_object_ids", "location_ids", "updated_after", "cursor", "states", "limit", "as_of")
    CATALOG_OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    catalog_object_ids: _containers.RepeatedScalarFieldContainer[str]
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    updated_after: _timestamp_pb2.Timestamp
    cursor: str
    states: _containers.RepeatedScalarFieldContainer[InventoryState]
    limit: int
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, catalog_object_ids: _Optional[_Iterable[str]] = ..., location_ids: _Optional[_Iterable[str]] = ..., updated_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cursor: _Optional[str] = ..., states: _Optional[_Iterable[_Union[InventoryState, str]]] = ..., limit: _Optional[int] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BatchRetrieveInventoryCountsResponse(_message.Message):
    __slots__ = ("counts", "cursor")
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[InventoryCount]
    cursor: str
    def __init__(self, counts: _Optional[_Iterable[_Union[InventoryCount, _Mapping]]] = ..., cursor: _Optional[str] = ...) -> None: ...

class RetrieveInventoryCountRequest(_message.Message):
    __slots__ = ("catalog_object_id", "location_ids", "cursor", "limit", "as_of")
    CATALOG_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    catalog_object_id: str
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    cursor: str
    limit: int
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, catalog_object_id: _Optional[str] = ..., location_ids: _Optional[_Iterable[str]] = ..., cursor: _Optional[str] = ..., limit: _Optional[int] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RetrieveInventoryCountResponse(_message.Message):
    __slots__ = ("counts", "cursor")
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[InventoryCount]
    cursor: str
    def __init__(self, counts: _Optional[_Iterable[_Union[InventoryCount, _Mapping]]] = ..., cursor: _Optional[str] = ...) -> None: ...

class BatchRetrieveInventoryChangesRequest(_message.Message):
    __slots__ = ("catalog_object_ids", "location_ids", "types", "states", "updated_after", "updated_before", "cursor", "limit", "sort_order", "reason_ids")
    CATALOG_OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SORT_ORDER_FIELD_NUMBER: _ClassVar[int]
    REASON_IDS_FIELD_NUMBER: _ClassVar[int]
    catalog_object_ids: _containers.RepeatedScalarFieldContainer[str]
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    types: _containers.RepeatedScalarFieldContainer[InventoryChangeType]
    states: _containers.RepeatedScalarFieldContainer[InventoryState]
    updated_after: _timestamp_pb2.Timestamp
    updated_before: _timestamp_pb2.Timestamp
    cursor: str
    limit: int
    sort_order: SortOrder
    reason_ids: _containers.RepeatedCompositeFieldContainer[InventoryAdjustmentReasonId]
    def __init__(self, catalog_object_ids: _Optional[_Iterable[str]] = ..., location_ids: _Optional[_Iterable[str]] = ..., types: _Optional[_Iterable[_Union[InventoryChangeType, str]]] = ..., states: _Optional[_Iterable[_Union[InventoryState, str]]] = ..., updated_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cursor: _Optional[str] = ..., limit: _Optional[int] = ..., sort_order: _Optional[_Union[SortOrder, str]] = ..., reason_ids: _Optional[_Iterable[_Union[InventoryAdjustmentReasonId, _Mapping]]] = ...) -> None: ...

class BatchRetrieveInventoryChangesResponse(_message.Message):
    __slots__ = ("changes", "cursor")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[InventoryChange]
    cursor: str
    def __init__(self, changes: _Optional[_Iterable[_Union[InventoryChange, _Mapping]]] = ..., cursor: _Optional[str] = ...) -> None: ...

class RetrieveInventoryAdjustmentRequest(_message.Message):
    __slots__ = ("adjustment_id",)
    ADJUSTMENT_ID_FIELD_NUMBER: _ClassVar[int]
    adjustment_id: str
    def __init__(self, adjustment_id: _Optional[str] = ...) -> None: ...

class RetrieveInventoryAdjustmentResponse(_message.Message):
    __slots__ = ("adjustment",)
    ADJUSTMENT_FIELD_NUMBER: _ClassVar[int]
    adjustment: InventoryAdjustment
    def __init__(self, adjustment: _Optional[_Union[InventoryAdjustment, _Mapping]] = ...) -> None: ...

class RetrieveInventoryPhysicalCountRequest(_message.Message):
    __slots__ = ("physical_count_id",)
    PHYSICAL_COUNT_ID_FIELD_NUMBER: _ClassVar[int]
    physical_count_id: str
    def __init__(self, physical_count_id: _Optional[str] = ...) -> None: ...

class RetrieveInventoryPhysicalCountResponse(_message.Message):
    __slots__ = ("physical_count",)
    PHYSICAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    physical_count: InventoryPhysicalCount
    def __init__(self, physical_count: _Optional[_Union[InventoryPhysicalCount, _Mapping]] = ...) -> None: ...

class RetrieveInventoryTransferRequest(_message.Message):
    __slots__ = ("transfer_id",)
    TRANSFER_ID_FIELD_NUMBER: _ClassVar[int]
    transfer_id: str
    def __init__(self, transfer_id: _Optional[str] = ...) -> None: ...

class RetrieveInventoryTransferResponse(_message.Message):
    __slots__ = ("transfer",)
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    transfer: InventoryTransfer
    def __init__(self, transfer: _Optional[_Union[InventoryTransfer, _Mapping]] = ...) -> None: ...

class StreamInventoryChangesRequest(_message.Message):
    __slots__ = ("catalog_object_ids", "location_ids", "types", "states", "updated_after", "updated_before", "cursor", "sort_order", "reason_ids")
    CATALOG_OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    UPDATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    SORT_ORDER_FIELD_NUMBER: _ClassVar[int]
    REASON_IDS_FIELD_NUMBER: _ClassVar[int]
    catalog_object_ids: _containers.RepeatedScalarFieldContainer[str]
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    types: _containers.RepeatedScalarFieldContainer[InventoryChangeType]
    states: _containers.RepeatedScalarFieldContainer[InventoryState]
    updated_after: _timestamp_pb2.Timestamp
    updated_before: _timestamp_pb2.Timestamp
    cursor: str
    sort_order: SortOrder
    reason_ids: _containers.RepeatedCompositeFieldContainer[InventoryAdjustmentReasonId]
    def __init__(self, catalog_object_ids: _Optional[_Iterable[str]] = ..., location_ids: _Optional[_Iterable[str]] = ..., types: _Optional[_Iterable[_Union[InventoryChangeType, str]]] = ..., states: _Optional[_Iterable[_Union[InventoryState, str]]] = ..., updated_after: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_before: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cursor: _Optional[str] = ..., sort_order: _Optional[_Union[SortOrder, str]] = ..., reason_ids: _Optional[_Iterable[_Union[InventoryAdjustmentReasonId, _Mapping]]] = ...) -> None: ...

class StreamInventoryChangesResponse(_message.Message):
    __slots__ = ("change", "cursor")
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    change: InventoryChange
    cursor: str
    def __init__(self, change: _Optional[_Union[InventoryChange, _Mapping]] = ..., cursor: _Optional[str] = ...) -> None: ...

class WatchInventoryChangesRequest(_message.Message):
    __slots__ = ("catalog_object_ids", "location_ids", "types", "states", "resume_token", "start")
    CATALOG_OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    catalog_object_ids: _containers.RepeatedScalarFieldContainer[str]
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    types: _containers.RepeatedScalarFieldContainer[InventoryChangeType]
    states: _containers.RepeatedScalarFieldContainer[InventoryState]
    resume_token: str
    start: WatchStart
    def __init__(self, catalog_object_ids: _Optional[_Iterable[str]] = ..., location_ids: _Optional[_Iterable[str]] = ..., types: _Optional[_Iterable[_Union[InventoryChangeType, str]]] = ..., states: _Optional[_Iterable[_Union[InventoryState, str]]] = ..., resume_token: _Optional[str] = ..., start: _Optional[_Union[WatchStart, str]] = ...) -> None: ...

class WatchInventoryChangesResponse(_message.Message):
    __slots__ = ("change", "sequence", "resume_token")
    CHANGE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    change: InventoryChange
    sequence: int
    resume_token: str
    def __init__(self, change: _Optional[_Union[InventoryChange, _Mapping]] = ..., sequence: _Optional[int] = ..., resume_token: _Optional[str] = ...) -> None: ...

class WatchInventoryCountsRequest(_message.Message):
    __slots__ = ("catalog_object_ids", "location_ids", "states", "resume_token", "start")
    CATALOG_OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    catalog_object_ids: _containers.RepeatedScalarFieldContainer[str]
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    states: _containers.RepeatedScalarFieldContainer[InventoryState]
    resume_token: str
    start: WatchStart
    def __init__(self, catalog_object_ids: _Optional[_Iterable[str]] = ..., location_ids: _Optional[_Iterable[str]] = ..., states: _Optional[_Iterable[_Union[InventoryState, str]]] = ..., resume_token: _Optional[str] = ..., start: _Optional[_Union[WatchStart, str]] = ...) -> None: ...

class InventoryCountUpdate(_message.Message):
    __slots__ = ("catalog_object_id", "catalog_object_type", "state", "location_id", "previous_quantity", "quantity", "calculated_at", "change_id", "change_type")
    CATALOG_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    CATALOG_OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    CALCULATED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    catalog_object_id: str
    catalog_object_type: str
    state: InventoryState
    location_id: str
    previous_quantity: str
    quantity: str
    calculated_at: _timestamp_pb2.Timestamp
    change_id: str
    change_type: InventoryChangeType
    def __init__(self, catalog_object_id: _Optional[str] = ..., catalog_object_type: _Optional[str] = ..., state: _Optional[_Union[InventoryState, str]] = ..., location_id: _Optional[str] = ..., previous_quantity: _Optional[str] = ..., quantity: _Optional[str] = ..., calculated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., change_id: _Optional[str] = ..., change_type: _Optional[_Union[InventoryChangeType, str]] = ...) -> None: ...

class WatchInventoryCountsResponse(_message.Message):
    __slots__ = ("update", "sequence", "resume_token")
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    update: InventoryCountUpdate
    sequence: int
    resume_token: str
    def __init__(self, update: _Optional[_Union[InventoryCountUpdate, _Mapping]] = ..., sequence: _Optional[int] = ..., resume_token: _Optional[str] = ...) -> None: ...

class InventoryAdjustmentReasonId(_message.Message):
    __slots__ = ("type", "custom_reason_id")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_REASON_ID_FIELD_NUMBER: _ClassVar[int]
    type: InventoryAdjustmentReasonType
    custom_reason_id: str
    def __init__(self, type: _Optional[_Union[InventoryAdjustmentReasonType, str]] = ..., custom_reason_id: _Optional[str] = ...) -> None: ...

class InventoryAdjustmentReason(_message.Message):
    __slots__ = ("id", "name", "direction", "created_at", "updated_at", "is_deleted")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    IS_DELETED_FIELD_NUMBER: _ClassVar[int]
    id: InventoryAdjustmentReasonId
    name: str
    direction: InventoryAdjustmentReasonDirection
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    is_deleted: bool
    def __init__(self, id: _Optional[_Union[InventoryAdjustmentReasonId, _Mapping]] = ..., name: _Optional[str] = ..., direction: _Optional[_Union[InventoryAdjustmentReasonDirection, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_deleted: _Optional[bool] = ...) -> None: ...

class ListInventoryAdjustmentReasonsRequest(_message.Message):
    __slots__ = ("include_deleted", "include_system_codes")
    INCLUDE_DELETED_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SYSTEM_CODES_FIELD_NUMBER: _ClassVar[int]
    include_deleted: bool
    include_system_codes: bool
    def __init__(self, include_deleted: _Optional[bool] = ..., include_system_codes: _Optional[bool] = ...) -> None: ...

class ListInventoryAdjustmentReasonsResponse(_message.Message):
    __slots__ = ("adjustment_reasons",)
    ADJUSTMENT_REASONS_FIELD_NUMBER: _ClassVar[int]
    adjustment_reasons: _containers.RepeatedCompositeFieldContainer[InventoryAdjustmentReason]
    def __init__(self, adjustment_reasons: _Optional[_Iterable[_Union[InventoryAdjustmentReason, _Mapping]]] = ...) -> None: ...

class CreateInventoryAdjustmentReasonRequest(_message.Message):
    __slots__ = ("idempotency_key", "adjustment_reason")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_REASON_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    adjustment_reason: InventoryAdjustmentReason
    def __init__(self, idempotency_key: _Optional[str] = ..., adjustment_reason: _Optional[_Union[InventoryAdjustmentReason, _Mapping]] = ...) -> None: ...

class CreateInventoryAdjustmentReasonResponse(_message.Message):
    __slots__ = ("adjustment_reason",)
    ADJUSTMENT_REASON_FIELD_NUMBER: _ClassVar[int]
    adjustment_reason: InventoryAdjustmentReason
    def __init__(self, adjustment_reason: _Optional[_Union[InventoryAdjustmentReason, _Mapping]] = ...) -> None: ...

class RetrieveInventoryAdjustmentReasonRequest(_message.Message):
    __slots__ = ("reason_id",)
    REASON_ID_FIELD_NUMBER: _ClassVar[int]
    reason_id: InventoryAdjustmentReasonId
    def __init__(self, reason_id: _Optional[_Union[InventoryAdjustmentReasonId, _Mapping]] = ...) -> None: ...

class RetrieveInventoryAdjustmentReasonResponse(_message.Message):
    __slots__ = ("adjustment_reason",)
    ADJUSTMENT_REASON_FIELD_NUMBER: _ClassVar[int]
    adjustment_reason: InventoryAdjustmentReason
    def __init__(self, adjustment_reason: _Optional[_Union[InventoryAdjustmentReason, _Mapping]] = ...) -> None: ...

class UpdateInventoryAdjustmentReasonRequest(_message.Message):
    __slots__ = ("reason_id", "adjustment_reason")
    REASON_ID_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENT_REASON_FIELD_NUMBER: _ClassVar[int]
    reason_id: InventoryAdjustmentReasonId
    adjustment_reason: InventoryAdjustmentReason
    def __init__(self, reason_id: _Optional[_Union[InventoryAdjustmentReasonId, _Mapping]] = ..., adjustment_reason: _Optional[_Union[InventoryAdjustmentReason, _Mapping]] = ...) -> None: ...

class UpdateInventoryAdjustmentReasonResponse(_message.Message):
    __slots__ = ("adjustment_reason",)
    ADJUSTMENT_REASON_FIELD_NUMBER: _ClassVar[int]
    adjustment_reason: InventoryAdjustmentReason
    def __init__(self, adjustment_reason: _Optional[_Union[InventoryAdjustmentReason, _Mapping]] = ...) -> None: ...

class DeleteInventoryAdjustmentReasonRequest(_message.Message):
    __slots__ = ("reason_id",)
    REASON_ID_FIELD_NUMBER: _ClassVar[int]
    reason_id: InventoryAdjustmentReasonId
    def __init__(self, reason_id: _Optional[_Union[InventoryAdjustmentReasonId, _Mapping]] = ...) -> None: ...

class DeleteInventoryAdjustmentReasonResponse(_message.Message):
    __slots__ = ("adjustment_reason",)
    ADJUSTMENT_REASON_FIELD_NUMBER: _ClassVar[int]
    adjustment_reason: InventoryAdjustmentReason
    def __init__(self, adjustment_reason: _Optional[_Union[InventoryAdjustmentReason, _Mapping]] = ...) -> None: ...

class RestoreInventoryAdjustmentReasonRequest(_message.Message):
    __slots__ = ("reason_id",)
    REASON_ID_FIELD_NUMBER: _ClassVar[int]
    reason_id: InventoryAdjustmentReasonId
    def __init__(self, reason_id: _Optional[_Union[InventoryAdjustmentReasonId, _Mapping]] = ...) -> None: ...

class RestoreInventoryAdjustmentReasonResponse(_message.Message):
    __slots__ = ("adjustment_reason",)
    ADJUSTMENT_REASON_FIELD_NUMBER: _ClassVar[int]
    adjustment_reason: InventoryAdjustmentReason
    def __init__(self, adjustment_reason: _Optional[_Union[InventoryAdjustmentReason, _Mapping]] = ...) -> None: ...

class InventoryReorderPoint(_message.Message):
    __slots__ = ("catalog_object_id", "location_id", "reorder_point", "updated_at")
    CATALOG_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    REORDER_POINT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    catalog_object_id: str
    location_id: str
    reorder_point: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, catalog_object_id: _Optional[str] = ..., location_id: _Optional[str] = ..., reorder_point: _Optional[str] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SetInventoryReorderPointRequest(_message.Message):
    __slots__ = ("catalog_object_id", "location_id", "reorder_point")
    CATALOG_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    REORDER_POINT_FIELD_NUMBER: _ClassVar[int]
    catalog_object_id: str
    location_id: str
    reorder_point: str
    def __init__(self, catalog_object_id: _Optional[str] = ..., location_id: _Optional[str] = ..., reorder_point: _Optional[str] = ...) -> None: ...

class SetInventoryReorderPointResponse(_message.Message):
    __slots__ = ("reorder_point", "quantity", "low")
    REORDER_POINT_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    reorder_point: InventoryReorderPoint
    quantity: str
    low: bool
    def __init__(self, reorder_point: _Optional[_Union[InventoryReorderPoint, _Mapping]] = ..., quantity: _Optional[str] = ..., low: _Optional[bool] = ...) -> None: ...

class DeleteInventoryReorderPointRequest(_message.Message):
    __slots__ = ("catalog_object_id", "location_id")
    CATALOG_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    catalog_object_id: str
    location_id: str
    def __init__(self, catalog_object_id: _Optional[str] = ..., location_id: _Optional[str] = ...) -> None: ...

class DeleteInventoryReorderPointResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListInventoryReorderPointsRequest(_message.Message):
    __slots__ = ("catalog_object_ids", "location_ids", "limit", "cursor")
    CATALOG_OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    catalog_object_ids: _containers.RepeatedScalarFieldContainer[str]
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    cursor: str
    def __init__(self, catalog_object_ids: _Optional[_Iterable[str]] = ..., location_ids: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., cursor: _Optional[str] = ...) -> None: ...

class ListInventoryReorderPointsResponse(_message.Message):
    __slots__ = ("reorder_points", "cursor")
    REORDER_POINTS_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    reorder_points: _containers.RepeatedCompositeFieldContainer[InventoryReorderPoint]
    cursor: str
    def __init__(self, reorder_points: _Optional[_Iterable[_Union[InventoryReorderPoint, _Mapping]]] = ..., cursor: _Optional[str] = ...) -> None: ...

class InventoryAlert(_message.Message):
    __slots__ = ("catalog_object_id", "location_id", "kind", "quantity", "reorder_point", "change_id", "occurred_at", "calculated_at")
    CATALOG_OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REORDER_POINT_FIELD_NUMBER: _ClassVar[int]
    CHANGE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    CALCULATED_AT_FIELD_NUMBER: _ClassVar[int]
    catalog_object_id: str
    location_id: str
    kind: InventoryAlertKind
    quantity: str
    reorder_point: str
    change_id: str
    occurred_at: _timestamp_pb2.Timestamp
    calculated_at: _timestamp_pb2.Timestamp
    def __init__(self, catalog_object_id: _Optional[str] = ..., location_id: _Optional[str] = ..., kind: _Optional[_Union[InventoryAlertKind, str]] = ..., quantity: _Optional[str] = ..., reorder_point: _Optional[str] = ..., change_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., calculated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WatchInventoryAlertsRequest(_message.Message):
    __slots__ = ("catalog_object_ids", "location_ids", "resume_token", "start")
    CATALOG_OBJECT_IDS_FIELD_NUMBER: _ClassVar[int]
    LOCATION_IDS_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    catalog_object_ids: _containers.RepeatedScalarFieldContainer[str]
    location_ids: _containers.RepeatedScalarFieldContainer[str]
    resume_token: str
    start: WatchStart
    def __init__(self, catalog_object_ids: _Optional[_Iterable[str]] = ..., location_ids: _Optional[_Iterable[str]] = ..., resume_token: _Optional[str] = ..., start: _Optional[_Union[WatchStart, str]] = ...) -> None: ...

class WatchInventoryAlertsResponse(_message.Message):
    __slots__ = ("alert", "sequence", "resume_token")
    ALERT_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RESUME_TOKEN_FIELD_NUMBER: _ClassVar[int]
    alert: InventoryAlert
    sequence: int
    resume_token: str
    def __init__(self, alert: _Optional[_Union[InventoryAlert, _Mapping]] = ..., sequence: _Optional[int] = ..., resume_token: _Optional[str] = ...) -> None: ...
