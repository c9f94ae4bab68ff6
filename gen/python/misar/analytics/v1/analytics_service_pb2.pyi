from buf.validate import validate_pb2 as _validate_pb2
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from misar.analytics.v1 import campaign_pb2 as _campaign_pb2
from misar.analytics.v1 import campaign_reads_pb2 as _campaign_reads_pb2
from misar.analytics.v1 import revenue_pb2 as _revenue_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CampaignMetrics(_message.Message):
    __slots__ = ["bounce_rate", "click_rate", "conversion_rate", "conversions", "human_click_rate", "human_clicks", "human_open_rate", "human_opens", "open_rate", "revenue", "total_bounced", "total_clicked", "total_complained", "total_delivered", "total_opened", "total_recipients", "total_sent", "total_unsubscribed", "unique_clicks", "unique_human_clicks", "unique_human_opens", "unique_opens"]
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
    TOTAL_BOUNCED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CLICKED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COMPLAINED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DELIVERED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_OPENED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RECIPIENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SENT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_UNSUBSCRIBED_FIELD_NUMBER: _ClassVar[int]
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
    total_bounced: int
    total_clicked: int
    total_complained: int
    total_delivered: int
    total_opened: int
    total_recipients: int
    total_sent: int
    total_unsubscribed: int
    unique_clicks: int
    unique_human_clicks: int
    unique_human_opens: int
    unique_opens: int
    def __init__(self, total_recipients: _Optional[int] = ..., total_sent: _Optional[int] = ..., total_delivered: _Optional[int] = ..., total_opened: _Optional[int] = ..., total_clicked: _Optional[int] = ..., total_bounced: _Optional[int] = ..., total_complained: _Optional[int] = ..., total_unsubscribed: _Optional[int] = ..., open_rate: _Optional[float] = ..., click_rate: _Optional[float] = ..., bounce_rate: _Optional[float] = ..., conversions: _Optional[int] = ..., conversion_rate: _Optional[float] = ..., revenue: _Optional[_Iterable[_Union[_revenue_pb2.CurrencyAmount, _Mapping]]] = ..., unique_opens: _Optional[int] = ..., unique_clicks: _Optional[int] = ..., human_opens: _Optional[int] = ..., unique_human_opens: _Optional[int] = ..., human_clicks: _Optional[int] = ..., unique_human_clicks: _Optional[int] = ..., human_open_rate: _Optional[float] = ..., human_click_rate: _Optional[float] = ...) -> None: ...

class GetCampaignMetricsRequest(_message.Message):
    __slots__ = ["id"]
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetCampaignMetricsResponse(_message.Message):
    __slots__ = ["campaign", "metrics", "timeline"]
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    campaign: _campaign_pb2.Campaign
    metrics: CampaignMetrics
    timeline: _containers.RepeatedCompositeFieldContainer[TimelineEntry]
    def __init__(self, campaign: _Optional[_Union[_campaign_pb2.Campaign, _Mapping]] = ..., metrics: _Optional[_Union[CampaignMetrics, _Mapping]] = ..., timeline: _Optional[_Iterable[_Union[TimelineEntry, _Mapping]]] = ...) -> None: ...

class GetOverviewRequest(_message.Message):
    __slots__ = ["period", "time_zone", "to"]
    FROM_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    period: str
    time_zone: str
    to: str
    def __init__(self, period: _Optional[str] = ..., to: _Optional[str] = ..., time_zone: _Optional[str] = ..., **kwargs) -> None: ...

class GetOverviewResponse(_message.Message):
    __slots__ = ["metrics", "period"]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    metrics: OverviewMetrics
    period: Period
    def __init__(self, period: _Optional[_Union[Period, _Mapping]] = ..., metrics: _Optional[_Union[OverviewMetrics, _Mapping]] = ...) -> None: ...

class GetTimeSeriesRequest(_message.Message):
    __slots__ = ["interval", "period", "time_zone", "to"]
    FROM_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    interval: str
    period: str
    time_zone: str
    to: str
    def __init__(self, interval: _Optional[str] = ..., time_zone: _Optional[str] = ..., period: _Optional[str] = ..., to: _Optional[str] = ..., **kwargs) -> None: ...

class GetTimeSeriesResponse(_message.Message):
    __slots__ = ["buckets", "interval", "period", "time_zone"]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    INTERVAL_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    TIME_ZONE_FIELD_NUMBER: _ClassVar[int]
    buckets: _containers.RepeatedCompositeFieldContainer[TimeSeriesBucket]
    interval: str
    period: Period
    time_zone: str
    def __init__(self, period: _Optional[_Union[Period, _Mapping]] = ..., interval: _Optional[str] = ..., time_zone: _Optional[str] = ..., buckets: _Optional[_Iterable[_Union[TimeSeriesBucket, _Mapping]]] = ...) -> None: ...

class OverviewMetrics(_message.Message):
    __slots__ = ["attributed_revenue", "bounce_rate", "bounces", "click_rate", "clicks", "complaint_rate", "complaints", "conversions", "delivered", "hard_bounces", "human_click_rate", "human_clicks", "human_open_rate", "human_opens", "open_rate", "opens", "purchases", "revenue", "sends", "soft_bounces", "unique_clicks", "unique_human_clicks", "unique_human_opens", "unique_opens", "unsubscribes"]
    ATTRIBUTED_REVENUE_FIELD_NUMBER: _ClassVar[int]
    BOUNCES_FIELD_NUMBER: _ClassVar[int]
    BOUNCE_RATE_FIELD_NUMBER: _ClassVar[int]
    CLICKS_FIELD_NUMBER: _ClassVar[int]
    CLICK_RATE_FIELD_NUMBER: _ClassVar[int]
    COMPLAINTS_FIELD_NUMBER: _ClassVar[int]
    COMPLAINT_RATE_FIELD_NUMBER: _ClassVar[int]
    CONVERSIONS_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_FIELD_NUMBER: _ClassVar[int]
    HARD_BOUNCES_FIELD_NUMBER: _ClassVar[int]
    HUMAN_CLICKS_FIELD_NUMBER: _ClassVar[int]
    HUMAN_CLICK_RATE_FIELD_NUMBER: _ClassVar[int]
    HUMAN_OPENS_FIELD_NUMBER: _ClassVar[int]
    HUMAN_OPEN_RATE_FIELD_NUMBER: _ClassVar[int]
    OPENS_FIELD_NUMBER: _ClassVar[int]
    OPEN_RATE_FIELD_NUMBER: _ClassVar[int]
    PURCHASES_FIELD_NUMBER: _ClassVar[int]
    REVENUE_FIELD_NUMBER: _ClassVar[int]
    SENDS_FIELD_NUMBER: _ClassVar[int]
    SOFT_BOUNCES_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_CLICKS_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_HUMAN_CLICKS_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_HUMAN_OPENS_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_OPENS_FIELD_NUMBER: _ClassVar[int]
    UNSUBSCRIBES_FIELD_NUMBER: _ClassVar[int]
    attributed_revenue: _containers.RepeatedCompositeFieldContainer[_revenue_pb2.CurrencyAmount]
    bounce_rate: float
    bounces: int
    click_rate: float
    clicks: int
    complaint_rate: float
    complaints: int
    conversions: int
    delivered: int
    hard_bounces: int
    human_click_rate: float
    human_clicks: int
    human_open_rate: float
    human_opens: int
    open_rate: float
    opens: int
    purchases: int
    revenue: _containers.RepeatedCompositeFieldContainer[_revenue_pb2.CurrencyAmount]
    sends: int
    soft_bounces: int
    unique_clicks: int
    unique_human_clicks: int
    unique_human_opens: int
    unique_opens: int
    unsubscribes: int
    def __init__(self, sends: _Optional[int] = ..., delivered: _Optional[int] = ..., opens: _Optional[int] = ..., unique_opens: _Optional[int] = ..., clicks: _Optional[int] = ..., unique_clicks: _Optional[int] = ..., bounces: _Optional[int] = ..., hard_bounces: _Optional[int] = ..., soft_bounces: _Optional[int] = ..., complaints: _Optional[int] = ..., unsubscribes: _Optional[int] = ..., open_rate: _Optional[float] = ..., click_rate: _Optional[float] = ..., bounce_rate: _Optional[float] = ..., complaint_rate: _Optional[float] = ..., human_opens: _Optional[int] = ..., unique_human_opens: _Optional[int] = ..., human_clicks: _Optional[int] = ..., unique_human_clicks: _Optional[int] = ..., human_open_rate: _Optional[float] = ..., human_click_rate: _Optional[float] = ..., purchases: _Optional[int] = ..., conversions: _Optional[int] = ..., revenue: _Optional[_Iterable[_Union[_revenue_pb2.CurrencyAmount, _Mapping]]] = ..., attributed_revenue: _Optional[_Iterable[_Union[_revenue_pb2.CurrencyAmount, _Mapping]]] = ...) -> None: ...

class Period(_message.Message):
    __slots__ = ["to"]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    to: _timestamp_pb2.Timestamp
    def __init__(self, to: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., **kwargs) -> None: ...

class TimeSeriesBucket(_message.Message):
    __slots__ = ["metrics", "start"]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    metrics: OverviewMetrics
    start: str
    def __init__(self, start: _Optional[str] = ..., metrics: _Optional[_Union[OverviewMetrics, _Mapping]] = ...) -> None: ...

class TimelineEntry(_message.Message):
    __slots__ = ["clicks", "hour", "opens"]
    CLICKS_FIELD_NUMBER: _ClassVar[int]
    HOUR_FIELD_NUMBER: _ClassVar[int]
    OPENS_FIELD_NUMBER: _ClassVar[int]
    clicks: int
    hour: _timestamp_pb2.Timestamp
    opens: int
    def __init__(self, hour: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., opens: _Optional[int] = ..., clicks: _Optional[int] = ...) -> None: ...
