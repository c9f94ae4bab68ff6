from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from misar.analytics.v1 import campaign_pb2 as _campaign_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

BOUNCE_TYPE_HARD: BounceType
BOUNCE_TYPE_SOFT: BounceType
BOUNCE_TYPE_UNSPECIFIED: BounceType
DESCRIPTOR: _descriptor.FileDescriptor
EMAIL_EVENT_TYPE_BOUNCE: EmailEventType
EMAIL_EVENT_TYPE_CLICK: EmailEventType
EMAIL_EVENT_TYPE_COMPLAINT: EmailEventType
EMAIL_EVENT_TYPE_DELIVERED: EmailEventType
EMAIL_EVENT_TYPE_OPEN: EmailEventType
EMAIL_EVENT_TYPE_SEND: EmailEventType
EMAIL_EVENT_TYPE_UNSPECIFIED: EmailEventType
EMAIL_EVENT_TYPE_UNSUBSCRIBE: EmailEventType

class EmailEvent(_message.Message):
    __slots__ = ["bounce_type", "campaign_id", "contact_email", "id", "machine", "timestamp", "type", "url", "user_agent"]
    BOUNCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CONTACT_EMAIL_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    bounce_type: BounceType
    campaign_id: str
    contact_email: str
    id: str
    machine: bool
    timestamp: _timestamp_pb2.Timestamp
    type: EmailEventType
    url: str
    user_agent: str
    def __init__(self, id: _Optional[str] = ..., type: _Optional[_Union[EmailEventType, str]] = ..., contact_email: _Optional[str] = ..., timestamp: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., campaign_id: _Optional[str] = ..., bounce_type: _Optional[_Union[BounceType, str]] = ..., url: _Optional[str] = ..., user_agent: _Optional[str] = ..., machine: bool = ...) -> None: ...

class RecordEmailEventsRequest(_message.Message):
    __slots__ = ["events"]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[EmailEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[EmailEvent, _Mapping]]] = ...) -> None: ...

class RecordEmailEventsResponse(_message.Message):
    __slots__ = ["accepted", "duplicates"]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    duplicates: int
    def __init__(self, accepted: _Optional[int] = ..., duplicates: _Optional[int] = ...) -> None: ...

class UpsertCampaignRequest(_message.Message):
    __slots__ = ["id", "name", "sent_at", "status", "total_recipients"]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    sent_at: _timestamp_pb2.Timestamp
    status: _campaign_pb2.CampaignStatus
    total_recipients: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[_campaign_pb2.CampaignStatus, str]] = ..., sent_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., total_recipients: _Optional[int] = ...) -> None: ...

class UpsertCampaignResponse(_message.Message):
    __slots__ = ["campaign"]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ...) -> None: ...

class EmailEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class BounceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
