"""Proves the generated Python stubs (gen/python) against a running Misar Analytics server over
plaintext gRPC: the same scenario as test/clients/go. It registers a campaign, records its email
events (twice: the second batch must be all duplicates), tracks an event and a purchase, and
checks the campaign metrics and the account overview that follow from them.

Env: MISAR_ADDR (host:port), MISAR_API_KEY (a key with the analytics, track and ingest scopes of
an account with no other data), MISAR_CAMPAIGN_ID (a campaign id unique to this run).
Needs gen/python on sys.path (this file adds it) and its requirements (scripts/setup-python.sh).
Exit 0 and "python client: ok" when every check holds; else each mismatch and exit 1.
"""

import os
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "gen", "python"))

import grpc  # noqa: E402
import protovalidate  # noqa: E402
from google.protobuf import struct_pb2, timestamp_pb2  # noqa: E402

from misar.analytics.v1 import (  # noqa: E402
    analytics_service_pb2 as analytics_pb,
    analytics_service_pb2_grpc as analytics_grpc,
    campaign_pb2,
    ingest_service_pb2 as ingest_pb,
    ingest_service_pb2_grpc as ingest_grpc,
    track_service_pb2 as track_pb,
    track_service_pb2_grpc as track_grpc,
)

TIMEOUT = 30  # seconds, per call


def violated_fields(message):
    """The fields protovalidate finds wrong in `message`, named as the server names them: the
    path (`events[0].contact_email`), or for a rule across fields (a message-level rule, with no
    rule path) the message's path and the field its rule id starts with."""
    try:
        protovalidate.validate(message)
        return []
    except protovalidate.ValidationError as e:
        out = []
        for v in e.violations:
            parts = []
            for el in v.proto.field.elements:
                parts.append(el.field_name + (f"[{el.index}]" if el.HasField("index") else ""))
            if not v.proto.HasField("rule"):
                parts.append(v.proto.rule_id.split(".")[0])
            out.append(".".join(parts))
        return sorted(out)


def die(message):
    print(f"python client: {message}", file=sys.stderr)
    sys.exit(1)


def env(name):
    value = os.environ.get(name)
    if not value:
        die(f"{name} is not set")
    return value


def at(hour, minute, second, day=1):
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime(2026, 4, day, hour, minute, second, tzinfo=timezone.utc))
    return ts


def rfc3339(ts):
    return ts.ToDatetime(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Checker:
    def __init__(self):
        self.failures = []

    def eq(self, what, got, want):
        if got != want:
            self.failures.append(f"{what}: got {got!r}, want {want!r}")

    def near(self, what, got, want):
        if abs(got - want) > 1e-9:
            self.failures.append(f"{what}: got {got!r}, want {want!r}")

    def fail(self, message):
        self.failures.append(message)


def main():
    addr = env("MISAR_ADDR")
    key = env("MISAR_API_KEY")
    campaign = env("MISAR_CAMPAIGN_ID")
    auth = (("authorization", f"Bearer {key}"),)
    c = Checker()

    with grpc.insecure_channel(addr) as channel:
        analytics = analytics_grpc.AnalyticsServiceStub(channel)
        ingest = ingest_grpc.IngestServiceStub(channel)
        track = track_grpc.TrackServiceStub(channel)

        def call(what, method, request, metadata=auth):
            problems = violated_fields(request)
            if problems:
                die(f"{what}: the request fails the contract's rules locally: {problems}")
            try:
                return method(request, metadata=metadata, timeout=TIMEOUT)
            except grpc.RpcError as e:
                die(f"{what}: {e.code().name}: {e.details()}")

        # Without a key: UNAUTHENTICATED. (Also the first call: a server that is not there fails here.)
        try:
            analytics.GetOverview(analytics_pb.GetOverviewRequest(), timeout=TIMEOUT)
            c.fail("GetOverview without a key: succeeded, want UNAUTHENTICATED")
        except grpc.RpcError as e:
            if e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                die(f"cannot reach the server at {addr}: {e.code().name}: {e.details()}")
            c.eq("GetOverview without a key: status code", e.code(), grpc.StatusCode.UNAUTHENTICATED)
        try:
            analytics.GetOverview(
                analytics_pb.GetOverviewRequest(), metadata=(("authorization", "Bearer not-a-key"),), timeout=TIMEOUT
            )
            c.fail("GetOverview with a malformed key: succeeded, want UNAUTHENTICATED")
        except grpc.RpcError as e:
            c.eq("GetOverview with a malformed key: status code", e.code(), grpc.StatusCode.UNAUTHENTICATED)

        # The contract's rules run here, before sending: a bad batch is caught locally, and the
        # server, sent it anyway, rejects the very same fields.
        bad = ingest_pb.RecordEmailEventsRequest(
            events=[
                ingest_pb.EmailEvent(type=ingest_pb.EMAIL_EVENT_TYPE_BOUNCE, contact_email="not-an-email", timestamp=at(9, 0, 0)),
                ingest_pb.EmailEvent(type=ingest_pb.EMAIL_EVENT_TYPE_OPEN, contact_email="a@x.test", timestamp=timestamp_pb2.Timestamp(seconds=1)),
            ]
        )
        local = violated_fields(bad)
        c.eq(
            "local validation of a bad batch",
            local,
            ["events[0].bounce_type", "events[0].contact_email", "events[1].timestamp"],
        )
        try:
            ingest.RecordEmailEvents(bad, metadata=auth, timeout=TIMEOUT)
            c.fail("RecordEmailEvents of the locally rejected batch: succeeded, want INVALID_ARGUMENT")
        except grpc.RpcError as e:
            c.eq("RecordEmailEvents of the locally rejected batch: status code", e.code(), grpc.StatusCode.INVALID_ARGUMENT)
            for field in local:
                if f"{field}:" not in e.details():
                    c.fail(f"the server's answer does not name {field}: {e.details()}")

        # The campaign.
        up = call(
            "UpsertCampaign",
            ingest.UpsertCampaign,
            ingest_pb.UpsertCampaignRequest(
                id=campaign,
                name="Python client campaign",
                status=campaign_pb2.CAMPAIGN_STATUS_SENT,
                sent_at=at(9, 0, 0),
                total_recipients=3,
            ),
        )
        c.eq("UpsertCampaign: campaign.id", up.campaign.id, campaign)
        c.eq("UpsertCampaign: campaign.name", up.campaign.name, "Python client campaign")
        c.eq("UpsertCampaign: campaign.status", up.campaign.status, campaign_pb2.CAMPAIGN_STATUS_SENT)
        c.eq("UpsertCampaign: campaign.sent_at", rfc3339(up.campaign.sent_at), "2026-04-01T09:00:00Z")
        c.eq("UpsertCampaign: campaign.total_recipients", up.campaign.total_recipients, 3)

        # Its email events: 3 sends, 2 delivered, 3 opens, 1 click, 1 hard bounce.
        def ev(event_id, typ, contact, when, **extra):
            return ingest_pb.EmailEvent(
                id=f"{campaign}-{event_id}", type=typ, contact_email=contact, timestamp=when, campaign_id=campaign, **extra
            )

        batch = ingest_pb.RecordEmailEventsRequest(
            events=[
                ev("send-a", ingest_pb.EMAIL_EVENT_TYPE_SEND, "a@x.test", at(9, 0, 0)),
                ev("send-b", ingest_pb.EMAIL_EVENT_TYPE_SEND, "b@x.test", at(9, 0, 1)),
                ev("send-c", ingest_pb.EMAIL_EVENT_TYPE_SEND, "c@x.test", at(9, 0, 2)),
                ev("delivered-a", ingest_pb.EMAIL_EVENT_TYPE_DELIVERED, "a@x.test", at(9, 0, 10)),
                ev("delivered-b", ingest_pb.EMAIL_EVENT_TYPE_DELIVERED, "b@x.test", at(9, 0, 11)),
                ev("open-a-1", ingest_pb.EMAIL_EVENT_TYPE_OPEN, "a@x.test", at(9, 30, 0)),
                ev("open-a-2", ingest_pb.EMAIL_EVENT_TYPE_OPEN, "a@x.test", at(10, 15, 0)),
                ev("open-b-1", ingest_pb.EMAIL_EVENT_TYPE_OPEN, "b@x.test", at(9, 45, 0)),
                ev("click-a-1", ingest_pb.EMAIL_EVENT_TYPE_CLICK, "a@x.test", at(10, 20, 0), url="https://x.test/p"),
                ev("bounce-c", ingest_pb.EMAIL_EVENT_TYPE_BOUNCE, "c@x.test", at(9, 0, 30), bounce_type=ingest_pb.BOUNCE_TYPE_HARD),
            ]
        )
        rec = call("RecordEmailEvents", ingest.RecordEmailEvents, batch)
        c.eq("RecordEmailEvents (first): accepted", rec.accepted, 10)
        c.eq("RecordEmailEvents (first): duplicates", rec.duplicates, 0)
        rec = call("RecordEmailEvents (repeat)", ingest.RecordEmailEvents, batch)
        c.eq("RecordEmailEvents (repeat): accepted", rec.accepted, 0)
        c.eq("RecordEmailEvents (repeat): duplicates", rec.duplicates, 10)

        # A custom event.
        props = struct_pb2.Struct()
        props.update({"plan": "pro"})
        te = call(
            "TrackEvent",
            track.TrackEvent,
            track_pb.TrackEventRequest(event_name="trial_started", contact_email="a@x.test", properties=props),
        )
        if not te.event_id.startswith("evt_"):
            c.fail(f"TrackEvent: event_id {te.event_id!r} does not start with evt_")

        # A purchase, attributed to the click of 2026-04-01T10:20Z (within 7 days).
        purchase = track_pb.TrackPurchaseRequest(
            contact_email="a@x.test",
            amount=99.99,
            currency="USD",
            order_id=f"{campaign}-order",
            items=[track_pb.PurchaseItem(name="Pro Plan", quantity=1, price=99.99)],
            timestamp=at(10, 0, 0, day=2),
        )
        tp = call("TrackPurchase", track.TrackPurchase, purchase)
        if not tp.event_id.startswith("evt_"):
            c.fail(f"TrackPurchase: event_id {tp.event_id!r} does not start with evt_")
        if not tp.HasField("attributed_campaign_id"):
            c.fail(f"TrackPurchase: attributed_campaign_id is unset, want {campaign!r}")
        else:
            c.eq("TrackPurchase: attributed_campaign_id", tp.attributed_campaign_id, campaign)
        c.eq("TrackPurchase: duplicate", tp.duplicate, False)
        again = call("TrackPurchase (repeat)", track.TrackPurchase, purchase)
        c.eq("TrackPurchase (repeat): event_id", again.event_id, tp.event_id)
        c.eq("TrackPurchase (repeat): attributed_campaign_id", again.attributed_campaign_id, campaign)
        c.eq("TrackPurchase (repeat): duplicate", again.duplicate, True)

        # The campaign's metrics.
        cm = call("GetCampaignMetrics", analytics.GetCampaignMetrics, analytics_pb.GetCampaignMetricsRequest(id=campaign))
        c.eq("GetCampaignMetrics: campaign.id", cm.campaign.id, campaign)
        c.eq("GetCampaignMetrics: campaign.name", cm.campaign.name, "Python client campaign")
        c.eq("GetCampaignMetrics: campaign.status", cm.campaign.status, campaign_pb2.CAMPAIGN_STATUS_SENT)
        c.eq("GetCampaignMetrics: campaign.sent_at", rfc3339(cm.campaign.sent_at), "2026-04-01T09:00:00Z")
        m = cm.metrics
        for field, want in [
            ("total_recipients", 3),
            ("total_sent", 3),
            ("total_delivered", 2),
            ("total_opened", 3),
            ("total_clicked", 1),
            ("total_bounced", 1),
            ("total_complained", 0),
            ("total_unsubscribed", 0),
        ]:
            c.eq(f"metrics.{field}", getattr(m, field), want)
        c.near("metrics.open_rate", m.open_rate, 1.0)
        c.near("metrics.click_rate", m.click_rate, 0.333)
        c.near("metrics.bounce_rate", m.bounce_rate, 0.333)
        timeline = [(rfc3339(e.hour), e.opens, e.clicks) for e in cm.timeline]
        c.eq(
            "GetCampaignMetrics: timeline",
            timeline,
            [("2026-04-01T09:00:00Z", 2, 0), ("2026-04-01T10:00:00Z", 1, 1)],
        )

        # The account's overview of 2026-04-01.
        ov = call("GetOverview", analytics.GetOverview, analytics_pb.GetOverviewRequest(**{"from": "2026-04-01", "to": "2026-04-01"}))
        c.eq("overview period.from", rfc3339(getattr(ov.period, "from")), "2026-04-01T00:00:00Z")
        c.eq("overview period.to", rfc3339(ov.period.to), "2026-04-01T23:59:59Z")
        o = ov.metrics
        for field, want in [
            ("sends", 3),
            ("delivered", 2),
            ("opens", 3),
            ("unique_opens", 2),
            ("clicks", 1),
            ("unique_clicks", 1),
            ("bounces", 1),
            ("hard_bounces", 1),
            ("soft_bounces", 0),
            ("complaints", 0),
            ("unsubscribes", 0),
        ]:
            c.eq(f"overview {field}", getattr(o, field), want)
        c.near("overview open_rate", o.open_rate, 1.0)
        c.near("overview click_rate", o.click_rate, 0.333)
        c.near("overview bounce_rate", o.bounce_rate, 0.333)
        c.near("overview complaint_rate", o.complaint_rate, 0.0)

    if c.failures:
        for f in c.failures:
            print(f"python client: MISMATCH {f}", file=sys.stderr)
        die(f"{len(c.failures)} check(s) failed")
    print("python client: ok")


if __name__ == "__main__":
    main()
