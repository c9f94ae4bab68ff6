from buf.validate import validate_pb2 as _validate_pb2
from misar.analytics.v1 import campaign_pb2 as _campaign_pb2
from misar.analytics.v1 import revenue_pb2 as _revenue_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CampaignHeadline(_message.Message):
    __slots__ = ["bounce_rate", "click_rate", "conversion_rate", "conversions", "human_click_rate", "human_clicks", "human_open_rate", "human_opens", "open_rate", "revenue", "total_delivered", "total_sent", "unique_clicks", "unique_human_clicks", "unique_human_opens", "unique_opens"]
    BOUNCE_RATE_FIELD_NUMBER: _ClassVar[int]
    CLICK_RATE_FIELD_NUMBER: _ClassVar[int]
    CONVERSIONS_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_RATE_FIELD_NUMBER: _ClassVar[int]
    HUMAN_CLICKS_FIELD_NUMBER: _ClassVar[int]
    HUMAN_CLICK_RATE_FIELD_NUMBER: _ClassVar[int]
    HUMAN_OPENS_FIELD_NUMBER: _ClassVar[int]
    HUMAN_OPEN_RATE_FIELD_NUMBER: _ClassVar[int]
    OPEN_RATE_FIELD_NUMBER: _ClassVar[int]
    REVENUE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DELIVERED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SENT_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_CLICKS_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_HUMAN_CLICKS_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_HUMAN_OPENS_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_OPENS_FIELD_NUMBER: _ClassVar[int]
    bounce_rate: float
    click_rate: float
    conversion_rate: float
    conversions: int
    human_click_rate: float
    human_clicks: int
    human_open_rate: float
    human_opens: int
    open_rate: float
    revenue: _containers.RepeatedCompositeFieldContainer[_revenue_pb2.CurrencyAmount]
    total_delivered: int
    total_sent: int
    unique_clicks: int
    unique_human_clicks: int
    unique_human_opens: int
    unique_opens: int
    def __init__(self, total_sent: _Optional[int] = ..., total_delivered: _Optional[int] = ..., unique_opens: _Optional[int] = ..., unique_clicks: _Optional[int] = ..., open_rate: _Optional[float] = ..., click_rate: _Optional[float] = ..., bounce_rate: _Optional[float] = ..., conversions: _Optional[int] = ..., revenue: _Optional[_Iterable[_Union[_revenue_pb2.CurrencyAmount, _Mapping]]] = ..., human_opens: _Optional[int] = ..., unique_human_opens: _Optional[int] = ..., human_clicks: _Optional[int] = ..., unique_human_clicks: _Optional[int] = ..., human_open_rate: _Optional[float] = ..., human_click_rate: _Optional[float] = ..., conversion_rate: _Optional[float] = ...) -> None: ...

class CampaignLink(_message.Message):
    __slots__ = ["clicks", "unique_clicks", "url"]
    CLICKS_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_CLICKS_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    clicks: int
    unique_clicks: int
    url: str
    def __init__(self, url: _Optional[str] = ..., clicks: _Optional[int] = ..., unique_clicks: _Optional[int] = ...) -> None: ...

class CampaignListEntry(_message.Message):
    __slots__ = ["campaign", "metrics"]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    metrics: CampaignHeadline
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ..., metrics: _Optional[_Union[CampaignHeadline, _Mapping]] = ...) -> None: ...

class GetCampaignLinksRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetCampaignLinksResponse(_message.Message):
    __slots__ = ["campaign", "links", "total_links"]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_LINKS_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    links: _containers.RepeatedCompositeFieldContainer[CampaignLink]
    total_links: int
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ..., links: _Optional[_Iterable[_Union[CampaignLink, _Mapping]]] = ..., total_links: _Optional[int] = ...) -> None: ...

class ListCampaignsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "status"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    status: _campaign_pb2.CampaignStatus
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., status: _Optional[_Union[_campaign_pb2.CampaignStatus, str]] = ...) -> None: ...

class ListCampaignsResponse(_message.Message):
    __slots__ = ["campaigns", "next_page_token"]
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[CampaignListEntry]
    next_page_token: str
    def __init__(self, campaigns: _Optional[_Iterable[_Union[CampaignListEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
