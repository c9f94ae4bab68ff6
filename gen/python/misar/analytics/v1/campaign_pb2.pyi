from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

CAMPAIGN_STATUS_CANCELLED: CampaignStatus
CAMPAIGN_STATUS_DRAFT: CampaignStatus
CAMPAIGN_STATUS_SCHEDULED: CampaignStatus
CAMPAIGN_STATUS_SENDING: CampaignStatus
CAMPAIGN_STATUS_SENT: CampaignStatus
CAMPAIGN_STATUS_UNKNOWN: CampaignStatus
CAMPAIGN_STATUS_UNSPECIFIED: CampaignStatus
DESCRIPTOR: _descriptor.FileDescriptor

class Campaign(_message.Message):
    __slots__ = ["id", "name", "sent_at", "status", "total_recipients"]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SENT_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    sent_at: _timestamp_pb2.Timestamp
    status: CampaignStatus
    total_recipients: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[CampaignStatus, str]] = ..., sent_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., total_recipients: _Optional[int] = ...) -> None: ...

class CampaignStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
