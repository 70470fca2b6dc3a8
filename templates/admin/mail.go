package admin

import (
	"net/url"

	"alumnet/internal/i18n"
	"alumnet/internal/mail"
	"alumnet/templates/layout"
)

// DeliveriesData is the delivery log: outgoing mail with its status.
type DeliveriesData struct {
	Deliveries []mail.Delivery
	Status     string // the filter, "" for all
	More       bool
	Before     int64
}

// DeliveryData is one delivery with its log.
type DeliveryData struct {
	Delivery mail.Delivery
	Log      []mail.LogEntry
}

func deliveryURL(id int64) string { return "/app/admin/deliveries/" + id64(id) }

func deliveriesQuery(d DeliveriesData) url.Values {
	q := url.Values{}
	if d.Status != "" {
		q.Set("status", d.Status)
	}
	if d.Before != 0 {
		q.Set("before", id64(d.Before))
	}
	return q
}

func lastDeliveryID(d DeliveriesData) int64 {
	if len(d.Deliveries) == 0 {
		return 0
	}
	return d.Deliveries[len(d.Deliveries)-1].ID
}

// statusFilters are the links above the delivery log: all, then each status.
func statusFilters(p layout.Page) []layout.Option {
	out := []layout.Option{{Value: "", Label: p.T("form.any")}}
	for _, s := range mail.Statuses {
		out = append(out, layout.Option{Value: s, Label: p.T("deliveries.status." + s)})
	}
	return out
}

func statusFilterURL(status string) string {
	if status == "" {
		return "/app/admin/deliveries"
	}
	return "/app/admin/deliveries?status=" + url.QueryEscape(status)
}

func deliveryBadge(d mail.Delivery) string {
	switch {
	case d.Status == mail.StatusSent:
		return "badge"
	case d.Status == mail.StatusFailed && d.Retrying():
		return "badge badge-warn"
	case d.Status == mail.StatusFailed:
		return "badge badge-danger"
	}
	return "badge badge-muted"
}

// deliveryOutlook says what happens next with a delivery that was not sent.
func deliveryOutlook(p layout.Page, d mail.Delivery) string {
	switch {
	case d.Status != mail.StatusFailed:
		return ""
	case d.NextAttempt != nil:
		return p.T("deliveries.next_attempt", layout.DateTime(*d.NextAttempt))
	case d.Retrying():
		return p.T("deliveries.retrying")
	}
	return p.T("deliveries.given_up")
}

func langName(p layout.Page, lang string) string {
	if l, ok := i18n.Parse(lang); ok {
		return p.T("lang." + string(l))
	}
	return lang
}

func current(ok bool) string {
	if ok {
		return "page"
	}
	return "false"
}

func tabClass(ok bool) string {
	if ok {
		return "btn btn-small"
	}
	return "btn btn-small btn-secondary"
}

func attemptsText(n int) string { return id64(int64(n)) }
