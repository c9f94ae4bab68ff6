// Command misar-go-client proves the generated Go stubs (gen/go) against a running Misar
// Analytics server over plaintext gRPC (h2c). It registers a campaign, records its email events
// (twice: the second batch must be all duplicates), tracks an event and a purchase, and checks
// the campaign metrics and the account overview that follow from them.
//
// Env: MISAR_ADDR (host:port), MISAR_API_KEY (a key with the analytics, track and ingest scopes
// of an account with no other data), MISAR_CAMPAIGN_ID (a campaign id unique to this run).
// Exit 0 and "go client: ok" when every check holds; else each mismatch and exit 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"buf.build/go/protovalidate"
	analyticsv1 "github.com/misar/analytics/gen/go/misar/analytics/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// violatedFields names the fields protovalidate finds wrong in m as the server names them: the
// path (`events[0].contact_email`), or for a rule across fields (a message-level rule, which has
// no rule path) the message's path and the field its rule id starts with.
func violatedFields(m proto.Message) []string {
	err := protovalidate.Validate(m)
	var ve *protovalidate.ValidationError
	if err == nil {
		return nil
	} else if !errors.As(err, &ve) {
		die("protovalidate: %v", err)
	}
	var out []string
	for _, v := range ve.Violations {
		path := protovalidate.FieldPathString(v.Proto.GetField())
		if v.Proto.GetRule() == nil {
			about := strings.SplitN(v.Proto.GetRuleId(), ".", 2)[0]
			if path == "" {
				path = about
			} else {
				path += "." + about
			}
		}
		out = append(out, path)
	}
	sort.Strings(out)
	return out
}

// bearer attaches `authorization: Bearer <key>` to every RPC.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}
func (bearer) RequireTransportSecurity() bool { return false }

type checker struct{ failures []string }

func (c *checker) eq(what string, got, want any) {
	if fmt.Sprint(got) != fmt.Sprint(want) {
		c.failures = append(c.failures, fmt.Sprintf("%s: got %v, want %v", what, got, want))
	}
}

func (c *checker) near(what string, got, want float64) {
	if math.Abs(got-want) > 1e-9 {
		c.failures = append(c.failures, fmt.Sprintf("%s: got %v, want %v", what, got, want))
	}
}

func (c *checker) fail(format string, args ...any) {
	c.failures = append(c.failures, fmt.Sprintf(format, args...))
}

func at(hour, min, sec int, day ...int) *timestamppb.Timestamp {
	d := 1
	if len(day) > 0 {
		d = day[0]
	}
	return timestamppb.New(time.Date(2026, time.April, d, hour, min, sec, 0, time.UTC))
}

func ts(t *timestamppb.Timestamp) string {
	if t == nil {
		return "<unset>"
	}
	return t.AsTime().UTC().Format(time.RFC3339)
}

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "go client: "+format+"\n", args...)
	os.Exit(1)
}

func mustEnv(name string) string {
	v := os.Getenv(name)
	if v == "" {
		die("%s is not set", name)
	}
	return v
}

func main() {
	addr := mustEnv("MISAR_ADDR")
	key := mustEnv("MISAR_API_KEY")
	campaign := mustEnv("MISAR_CAMPAIGN_ID")

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		die("cannot dial %s: %v", addr, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	auth := grpc.PerRPCCredentials(bearer(key))

	analytics := analyticsv1.NewAnalyticsServiceClient(conn)
	ingest := analyticsv1.NewIngestServiceClient(conn)
	track := analyticsv1.NewTrackServiceClient(conn)
	c := &checker{}

	// Without a key: UNAUTHENTICATED. (Also the first call: a server that is not there fails here.)
	_, err = analytics.GetOverview(ctx, &analyticsv1.GetOverviewRequest{})
	if code := status.Code(err); code == codes.Unavailable || errors.Is(err, context.DeadlineExceeded) {
		die("cannot reach the server at %s: %v", addr, err)
	} else {
		c.eq("GetOverview without a key: status code", code, codes.Unauthenticated)
	}
	// A malformed key, sent as metadata by hand: UNAUTHENTICATED too.
	bad := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer not-a-key")
	_, err = analytics.GetOverview(bad, &analyticsv1.GetOverviewRequest{})
	c.eq("GetOverview with a malformed key: status code", status.Code(err), codes.Unauthenticated)

	// The contract's rules run here, before sending: a bad batch is caught locally, and the
	// server, sent it anyway, rejects the very same fields.
	badBatch := &analyticsv1.RecordEmailEventsRequest{Events: []*analyticsv1.EmailEvent{
		{Type: analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_BOUNCE, ContactEmail: "not-an-email", Timestamp: at(9, 0, 0)},
		{Type: analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_OPEN, ContactEmail: "a@x.test", Timestamp: &timestamppb.Timestamp{Seconds: 1}},
	}}
	local := violatedFields(badBatch)
	c.eq("local validation of a bad batch", strings.Join(local, ","), "events[0].bounce_type,events[0].contact_email,events[1].timestamp")
	_, err = ingest.RecordEmailEvents(ctx, badBatch, auth)
	c.eq("RecordEmailEvents of the locally rejected batch: status code", status.Code(err), codes.InvalidArgument)
	for _, f := range local {
		if !strings.Contains(status.Convert(err).Message(), f+":") {
			c.fail("the server's answer does not name %s: %v", f, err)
		}
	}

	// The campaign.
	upsert := &analyticsv1.UpsertCampaignRequest{
		Id:              campaign,
		Name:            "Go client campaign",
		Status:          analyticsv1.CampaignStatus_CAMPAIGN_STATUS_SENT,
		SentAt:          at(9, 0, 0),
		TotalRecipients: proto.Int64(3),
	}
	if p := violatedFields(upsert); p != nil {
		die("UpsertCampaign: the request fails the contract's rules locally: %v", p)
	}
	up, err := ingest.UpsertCampaign(ctx, upsert, auth)
	if err != nil {
		die("UpsertCampaign: %v", err)
	}
	c.eq("UpsertCampaign: campaign.id", up.GetCampaign().GetId(), campaign)
	c.eq("UpsertCampaign: campaign.name", up.GetCampaign().GetName(), "Go client campaign")
	c.eq("UpsertCampaign: campaign.status", up.GetCampaign().GetStatus(), analyticsv1.CampaignStatus_CAMPAIGN_STATUS_SENT)
	c.eq("UpsertCampaign: campaign.sent_at", ts(up.GetCampaign().GetSentAt()), "2026-04-01T09:00:00Z")
	c.eq("UpsertCampaign: campaign.total_recipients", up.GetCampaign().GetTotalRecipients(), 3)

	// Its email events: 3 sends, 2 delivered, 3 opens, 1 click, 1 hard bounce.
	type T = analyticsv1.EmailEventType
	ev := func(id string, typ T, contact string, when *timestamppb.Timestamp) *analyticsv1.EmailEvent {
		return &analyticsv1.EmailEvent{Id: campaign + "-" + id, Type: typ, ContactEmail: contact, Timestamp: when, CampaignId: campaign}
	}
	click := ev("click-a-1", analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_CLICK, "a@x.test", at(10, 20, 0))
	click.Url = "https://x.test/p"
	bounce := ev("bounce-c", analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_BOUNCE, "c@x.test", at(9, 0, 30))
	bounce.BounceType = analyticsv1.BounceType_BOUNCE_TYPE_HARD
	batch := &analyticsv1.RecordEmailEventsRequest{Events: []*analyticsv1.EmailEvent{
		ev("send-a", analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_SEND, "a@x.test", at(9, 0, 0)),
		ev("send-b", analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_SEND, "b@x.test", at(9, 0, 1)),
		ev("send-c", analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_SEND, "c@x.test", at(9, 0, 2)),
		ev("delivered-a", analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_DELIVERED, "a@x.test", at(9, 0, 10)),
		ev("delivered-b", analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_DELIVERED, "b@x.test", at(9, 0, 11)),
		ev("open-a-1", analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_OPEN, "a@x.test", at(9, 30, 0)),
		ev("open-a-2", analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_OPEN, "a@x.test", at(10, 15, 0)),
		ev("open-b-1", analyticsv1.EmailEventType_EMAIL_EVENT_TYPE_OPEN, "b@x.test", at(9, 45, 0)),
		click,
		bounce,
	}}
	rec, err := ingest.RecordEmailEvents(ctx, batch, auth)
	if err != nil {
		die("RecordEmailEvents: %v", err)
	}
	c.eq("RecordEmailEvents (first): accepted", rec.GetAccepted(), 10)
	c.eq("RecordEmailEvents (first): duplicates", rec.GetDuplicates(), 0)
	rec, err = ingest.RecordEmailEvents(ctx, batch, auth)
	if err != nil {
		die("RecordEmailEvents (repeat): %v", err)
	}
	c.eq("RecordEmailEvents (repeat): accepted", rec.GetAccepted(), 0)
	c.eq("RecordEmailEvents (repeat): duplicates", rec.GetDuplicates(), 10)

	// A custom event.
	props, _ := structpb.NewStruct(map[string]any{"plan": "pro"})
	te, err := track.TrackEvent(ctx, &analyticsv1.TrackEventRequest{EventName: "trial_started", ContactEmail: "a@x.test", Properties: props}, auth)
	if err != nil {
		die("TrackEvent: %v", err)
	}
	if !strings.HasPrefix(te.GetEventId(), "evt_") {
		c.fail("TrackEvent: event_id %q does not start with evt_", te.GetEventId())
	}

	// A purchase, attributed to the click of 2026-04-01T10:20Z (within 7 days).
	purchase := &analyticsv1.TrackPurchaseRequest{
		ContactEmail: "a@x.test",
		Amount:       proto.Float64(99.99),
		Currency:     "USD",
		OrderId:      campaign + "-order",
		Items:        []*analyticsv1.PurchaseItem{{Name: "Pro Plan", Quantity: 1, Price: 99.99}},
		Timestamp:    at(10, 0, 0, 2),
	}
	tp, err := track.TrackPurchase(ctx, purchase, auth)
	if err != nil {
		die("TrackPurchase: %v", err)
	}
	if !strings.HasPrefix(tp.GetEventId(), "evt_") {
		c.fail("TrackPurchase: event_id %q does not start with evt_", tp.GetEventId())
	}
	if tp.AttributedCampaignId == nil {
		c.fail("TrackPurchase: attributed_campaign_id is unset, want %q", campaign)
	} else {
		c.eq("TrackPurchase: attributed_campaign_id", tp.GetAttributedCampaignId(), campaign)
	}
	c.eq("TrackPurchase: duplicate", tp.GetDuplicate(), false)
	again, err := track.TrackPurchase(ctx, purchase, auth)
	if err != nil {
		die("TrackPurchase (repeat): %v", err)
	}
	c.eq("TrackPurchase (repeat): event_id", again.GetEventId(), tp.GetEventId())
	c.eq("TrackPurchase (repeat): attributed_campaign_id", again.GetAttributedCampaignId(), campaign)
	c.eq("TrackPurchase (repeat): duplicate", again.GetDuplicate(), true)

	// The campaign's metrics.
	cm, err := analytics.GetCampaignMetrics(ctx, &analyticsv1.GetCampaignMetricsRequest{Id: campaign}, auth)
	if err != nil {
		die("GetCampaignMetrics: %v", err)
	}
	c.eq("GetCampaignMetrics: campaign.id", cm.GetCampaign().GetId(), campaign)
	c.eq("GetCampaignMetrics: campaign.name", cm.GetCampaign().GetName(), "Go client campaign")
	c.eq("GetCampaignMetrics: campaign.status", cm.GetCampaign().GetStatus(), analyticsv1.CampaignStatus_CAMPAIGN_STATUS_SENT)
	c.eq("GetCampaignMetrics: campaign.sent_at", ts(cm.GetCampaign().GetSentAt()), "2026-04-01T09:00:00Z")
	m := cm.GetMetrics()
	c.eq("metrics.total_recipients", m.GetTotalRecipients(), 3)
	c.eq("metrics.total_sent", m.GetTotalSent(), 3)
	c.eq("metrics.total_delivered", m.GetTotalDelivered(), 2)
	c.eq("metrics.total_opened", m.GetTotalOpened(), 3)
	c.eq("metrics.total_clicked", m.GetTotalClicked(), 1)
	c.eq("metrics.total_bounced", m.GetTotalBounced(), 1)
	c.eq("metrics.total_complained", m.GetTotalComplained(), 0)
	c.eq("metrics.total_unsubscribed", m.GetTotalUnsubscribed(), 0)
	c.near("metrics.open_rate", m.GetOpenRate(), 1.0)
	c.near("metrics.click_rate", m.GetClickRate(), 0.333)
	c.near("metrics.bounce_rate", m.GetBounceRate(), 0.333)
	type hour struct {
		hour          string
		opens, clicks int64
	}
	want := []hour{{"2026-04-01T09:00:00Z", 2, 0}, {"2026-04-01T10:00:00Z", 1, 1}}
	var got []hour
	for _, e := range cm.GetTimeline() {
		got = append(got, hour{ts(e.GetHour()), e.GetOpens(), e.GetClicks()})
	}
	c.eq("GetCampaignMetrics: timeline", got, want)

	// The account's overview of 2026-04-01.
	ov, err := analytics.GetOverview(ctx, &analyticsv1.GetOverviewRequest{From: "2026-04-01", To: "2026-04-01"}, auth)
	if err != nil {
		die("GetOverview: %v", err)
	}
	c.eq("overview period.from", ts(ov.GetPeriod().GetFrom()), "2026-04-01T00:00:00Z")
	c.eq("overview period.to", ts(ov.GetPeriod().GetTo()), "2026-04-01T23:59:59Z")
	o := ov.GetMetrics()
	c.eq("overview sends", o.GetSends(), 3)
	c.eq("overview delivered", o.GetDelivered(), 2)
	c.eq("overview opens", o.GetOpens(), 3)
	c.eq("overview unique_opens", o.GetUniqueOpens(), 2)
	c.eq("overview clicks", o.GetClicks(), 1)
	c.eq("overview unique_clicks", o.GetUniqueClicks(), 1)
	c.eq("overview bounces", o.GetBounces(), 1)
	c.eq("overview hard_bounces", o.GetHardBounces(), 1)
	c.eq("overview soft_bounces", o.GetSoftBounces(), 0)
	c.eq("overview complaints", o.GetComplaints(), 0)
	c.eq("overview unsubscribes", o.GetUnsubscribes(), 0)
	c.near("overview open_rate", o.GetOpenRate(), 1.0)
	c.near("overview click_rate", o.GetClickRate(), 0.333)
	c.near("overview bounce_rate", o.GetBounceRate(), 0.333)
	c.near("overview complaint_rate", o.GetComplaintRate(), 0)

	if len(c.failures) > 0 {
		for _, f := range c.failures {
			fmt.Fprintln(os.Stderr, "go client: MISMATCH "+f)
		}
		fmt.Fprintf(os.Stderr, "go client: %d check(s) failed\n", len(c.failures))
		os.Exit(1)
	}
	fmt.Println("go client: ok")
}
