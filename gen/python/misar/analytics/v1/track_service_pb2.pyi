from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PurchaseItem(_message.Message):
    __slots__ = ["name", "price", "quantity"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    name: str
    price: float
    quantity: int
    def __init__(self, name: _Optional[str] = ..., quantity: _Optional[int] = ..., price: _Optional[float] = ...) -> None: ...

class TrackEventRequest(_message.Message):
    __slots__ = ["contact_email", "event_name", "properties", "timestamp"]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    EVENT_NAME_FIELD_NUMBER: _ClassVar[int]
    PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    contact_email: str
    event_name: str
    properties: _struct_pb2.Struct
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, event_name: _Optional[str] = ..., contact_email: _Optional[str] = ..., properties: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., timestamp: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TrackEventResponse(_message.Message):
    __slots__ = ["event_id"]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...

class TrackPurchaseRequest(_message.Message):
    __slots__ = ["amount", "contact_email", "currency", "items", "order_id", "timestamp"]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    amount: float
    contact_email: str
    currency: str
    items: _containers.RepeatedCompositeFieldContainer[PurchaseItem]
    order_id: str
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, contact_email: _Optional[str] = ..., amount: _Optional[float] = ..., currency: _Optional[str] = ..., order_id: _Optional[str] = ..., items: _Optional[_Iterable[_Union[PurchaseItem, _Mapping]]] = ..., timestamp: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TrackPurchaseResponse(_message.Message):
    __slots__ = ["attributed_campaign_id", "duplicate", "event_id"]
    ATTRIBUTED_CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    attributed_campaign_id: str
    duplicate: bool
    event_id: str
    def __init__(self, event_id: _Optional[str] = ..., attributed_campaign_id: _Optional[str] = ..., duplicate: bool = ...) -> None: ...
